import ArgumentParser
import BitBarrierCertify
import Foundation

/// Output of the CLI: results on stdout, messages and progress on stderr.
enum Console {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    static func out(_ message: String) {
        FileHandle.standardOutput.write(Data((message + "\n").utf8))
    }

    /// Writes a JSON value (sorted keys, so output is deterministic) to a file, or stdout for "-".
    static func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let data = try encoder.encode(value)
        if path == "-" {
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        } else {
            do {
                try (data + Data("\n".utf8)).write(to: URL(fileURLWithPath: path))
            } catch {
                throw ValidationError("cannot write \(path): \(error.localizedDescription)")
            }
        }
    }
}

/// A progress line on stderr for runs longer than a second; silent when stderr is not a terminal
/// unless forced.
final class Progress: @unchecked Sendable {
    let total: Int
    let label: String
    let start = Date()
    var done = 0
    var lastDraw = Date.distantPast
    let lock = NSLock()
    let enabled: Bool

    init(total: Int, label: String, enabled: Bool = isatty(2) != 0) {
        self.total = total
        self.label = label
        self.enabled = enabled
    }

    func step() {
        lock.lock()
        defer { lock.unlock() }
        done += 1
        let now = Date()
        guard enabled, now.timeIntervalSince(start) > 1, now.timeIntervalSince(lastDraw) > 0.2 || done == total else { return }
        lastDraw = now
        let width = 30
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let elapsed = now.timeIntervalSince(start)
        let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        FileHandle.standardError.write(Data(String(format: "\r%@ [%@] %d/%d  %.1fs elapsed, ~%.0fs left", label, bar, done, total, elapsed, eta).utf8))
        if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

/// The `verify` progress line on stderr (a terminal only): elapsed time, boxes bounded, boxes
/// open and the deepest split, redrawn about once a second while branch and bound runs.
final class SearchProgressLine: @unchecked Sendable {
    let started: Date
    let enabled: Bool
    private var drawn = false
    private let lock = NSLock()

    init(started: Date, enabled: Bool) {
        self.started = started
        self.enabled = enabled
    }

    func draw(_ p: BranchAndBound.Progress) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        drawn = true
        let text = String(format: "\rverify: branch and bound, %.0f s, %d boxes bounded, %d open, depth %d   ",
                          Date().timeIntervalSince(started), p.boxes, p.open, p.maxDepth)
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Ends the line so that the next message starts on its own.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
        drawn = false
    }
}

/// Pads a string with spaces to a width (left-aligned, or right-aligned).
func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - s.count))
    return right ? fill + s : s + fill
}
