import BitBarrierData
import Foundation
import Testing

/// Where test inputs live: fixtures next to this file, the shared benchmarks beside the package.
enum DataPaths {
    /// This file, with symlinks resolved (so a scratch package that links the folder still works).
    static let here = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    /// The package root: three levels up from this file.
    static let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// `<root>/../shared/benchmarks`.
    static let benchmarks = root.deletingLastPathComponent().appendingPathComponent("shared/benchmarks")
    /// Whether the shared benchmarks are present; tests that need them are skipped otherwise.
    static let haveBenchmarks = FileManager.default.fileExists(atPath: benchmarks.appendingPathComponent("vnncomp2021").path)
    static let fixtures = here.deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }
    static func benchmark(_ relative: String) -> String { benchmarks.appendingPathComponent(relative).path }

    /// This process's scratch folder; folders left by earlier runs (whose process is gone) are removed.
    static let scratch: URL = {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("bitbarrier-data-tests")
        for old in (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? [] {
            if let pid = Int32(old), kill(pid, 0) != 0 { try? FileManager.default.removeItem(at: parent.appendingPathComponent(old)) }
        }
        return parent.appendingPathComponent("\(ProcessInfo.processInfo.processIdentifier)")
    }()

    /// Writes `contents` to a fresh temporary file named `name` and returns its path.
    static func temp(_ name: String, _ contents: Data) throws -> String {
        let dir = scratch.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try contents.write(to: url)
        return url.path
    }

    static func temp(_ name: String, _ text: String) throws -> String { try temp(name, Data(text.utf8)) }
}

/// Builds `.npy` files by hand, byte by byte, as NumPy writes them.
enum NPYWriter {
    /// Magic `\x93NUMPY`, version, header length (2 bytes in v1, 4 in v2/v3), the header dict
    /// padded with spaces and a newline so the data starts at a multiple of 64, then `payload`.
    static func file(descr: String, shape: [Int], fortran: Bool = false, version: UInt8 = 1,
                     header custom: String? = nil, payload: [UInt8]) -> Data {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = custom ?? "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shapeText), }"
        let prefix = version == 1 ? 10 : 12
        while (prefix + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var d = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0])
        let n = header.utf8.count
        d.append(contentsOf: version == 1 ? [UInt8(n & 0xFF), UInt8(n >> 8)] : [UInt8(n & 0xFF), UInt8((n >> 8) & 0xFF), UInt8((n >> 16) & 0xFF), UInt8(n >> 24)])
        d.append(contentsOf: Array(header.utf8))
        d.append(contentsOf: payload)
        return d
    }

    /// The little-endian bytes of `values`.
    static func bytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    }
    static func bytes(_ values: [Float]) -> [UInt8] { bytes(values.map(\.bitPattern)) }
    static func bytes(_ values: [Double]) -> [UInt8] { bytes(values.map(\.bitPattern)) }
}

/// Runs `body`, requires it to throw a ``DataError``, and returns the error.
func expectDataError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> DataError? {
    do {
        try body()
        Issue.record("expected a DataError, but the input was accepted", sourceLocation: sourceLocation)
    } catch let e as DataError {
        return e
    } catch {
        Issue.record("expected a DataError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
