import Foundation

/// Inputs (one flattened C-order row per sample) and optional integer labels.
public struct Dataset: Sendable {
    public var features: [[Float]]
    public var labels: [Int]?
    public var width: Int
    /// The file the features came from.
    public var source: String

    public init(features: [[Float]], labels: [Int]?, width: Int, source: String) {
        self.features = features
        self.labels = labels
        self.width = width
        self.source = source
    }

    /// Loads a `.csv` (label first unless `hasLabels` is false) or a `.npy` of features with an
    /// optional `.npy` of labels; `pixelScale` divides every feature (255 for 0..255 pixels).
    public static func load(path: String, labels: String? = nil, pixelScale: Float? = nil, hasLabels: Bool = true) throws -> Dataset {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "csv", "txt":
            if labels != nil { throw DataError(file: path, message: "--labels is for .npy features; a CSV carries its labels in the first column") }
            return try loadCSV(path: path, hasLabels: hasLabels, pixelScale: pixelScale)
        case "npy":
            return try loadNPY(features: path, labels: labels, pixelScale: pixelScale)
        default:
            throw DataError(file: path, message: "unknown data format: expected a .csv or .npy file")
        }
    }

    /// Checks that every row has the model's input width.
    public func checkWidth(_ expected: Int) throws {
        guard width == expected else {
            throw DataError(file: source, message: "data has \(width) features per row but the model input has \(expected)")
        }
    }

    static func read(_ path: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw DataError(file: path, message: "cannot read the file (\(error.localizedDescription))")
        }
    }

    /// CSV: one sample per line, comma separated; blank lines are skipped, and a first line whose
    /// first field is not a number is taken as a header.
    public static func loadCSV(path: String, hasLabels: Bool = true, pixelScale: Float? = nil) throws -> Dataset {
        let text = String(decoding: try read(path), as: UTF8.self)
        var features: [[Float]] = []
        var labels: [Int] = []
        var width: Int? = nil
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine[...]
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            if features.isEmpty && width == nil && Double(fields[0].trimmingCharacters(in: .whitespaces)) == nil {
                width = -1  // header seen
                continue
            }
            var row: [Float] = []
            row.reserveCapacity(fields.count)
            for (k, f) in fields.enumerated() {
                let s = f.trimmingCharacters(in: .whitespaces)
                if hasLabels && k == 0 {
                    guard let v = Double(s), v.isFinite, v >= 0, v == v.rounded(), v < 1e9 else {
                        throw DataError(file: path, line: lineNumber, column: 1, message: "label '\(s)' is not a nonnegative integer")
                    }
                    labels.append(Int(v))
                    continue
                }
                guard let v = Float(s) else {
                    throw DataError(file: path, line: lineNumber, column: k + 1, message: "'\(s)' is not a number")
                }
                guard v.isFinite else {
                    throw DataError(file: path, line: lineNumber, column: k + 1, message: "feature '\(s)' is not finite")
                }
                row.append(pixelScale.map { v / $0 } ?? v)
            }
            if let w = width, w >= 0, row.count != w {
                throw DataError(file: path, line: lineNumber,
                                message: "expected \(w + (hasLabels ? 1 : 0)) fields\(hasLabels ? " (label + \(w) features)" : ""), found \(fields.count)")
            }
            guard !row.isEmpty else { throw DataError(file: path, line: lineNumber, message: "the row has no features") }
            width = row.count
            features.append(row)
        }
        guard let w = width, w > 0, !features.isEmpty else { throw DataError(file: path, message: "no data rows") }
        return Dataset(features: features, labels: hasLabels ? labels : nil, width: w, source: path)
    }
}
