import Foundation

extension Dataset {
    /// Loads a comma-separated file: one sample per line, the integer label first (unless
    /// `hasLabels` is false), then the features.
    ///
    /// Blank lines, `\r\n` line ends and a trailing newline are accepted. The first non-blank
    /// line is taken as a header, and skipped, only when its first field is not a number.
    /// With `pixelScale`, every feature is divided by it: `x / 255` maps 0...255 pixels to [0, 1].
    ///
    /// - Throws: ``DataError`` naming the file, the line and the field (1-based, as `column`)
    ///   for a ragged row, a field that is not a number, a NaN or infinite feature, or a label
    ///   that is not a nonnegative integer; also for an empty file.
    public static func loadCSV(path: String, hasLabels: Bool = true, pixelScale: Float? = nil) throws -> Dataset {
        try validate(pixelScale: pixelScale, file: path)
        let bytes = [UInt8](try read(path))
        var parser = CSVRows(bytes: bytes, file: path, hasLabels: hasLabels, pixelScale: pixelScale)
        return try parser.parse()
    }
}

/// The CSV reader behind ``Dataset/loadCSV(path:hasLabels:pixelScale:)``: works on bytes so a
/// large file is split without building a `Character` per byte.
private struct CSVRows {
    let bytes: [UInt8]
    let file: String
    let hasLabels: Bool
    let pixelScale: Float?
    var features: [[Float]] = []
    var labels: [Int] = []
    var width: Int?

    init(bytes: [UInt8], file: String, hasLabels: Bool, pixelScale: Float?) {
        self.bytes = bytes
        self.file = file
        self.hasLabels = hasLabels
        self.pixelScale = pixelScale
    }

    mutating func parse() throws -> Dataset {
        var start = 0
        var lineNumber = 0
        var seenLine = false
        while start < bytes.count {
            lineNumber += 1
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            var last = end
            if last > start && bytes[last - 1] == UInt8(ascii: "\r") { last -= 1 }
            let line = bytes[start..<last]
            start = end + 1
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { continue }
            let fields = line.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).map(Self.text)
            defer { seenLine = true }
            if !seenLine && Double(fields[0]) == nil { continue }  // a header
            try row(fields, line: lineNumber)
        }
        guard let width, !features.isEmpty else { throw DataError(file: file, message: "no data rows") }
        return Dataset(features: features, labels: hasLabels ? labels : nil, width: width, source: file)
    }

    /// Parses one non-blank line, already split into trimmed fields.
    mutating func row(_ fields: [String], line: Int) throws {
        let offset = hasLabels ? 1 : 0
        if let width, fields.count != width + offset {
            let expected = hasLabels ? "\(width + 1) numbers (label + \(width) features)" : "\(width) numbers"
            throw DataError(file: file, line: line, message: "expected \(expected), found \(fields.count)")
        }
        guard fields.count > offset else {
            throw DataError(file: file, line: line, message: "the row has a label but no features")
        }
        if hasLabels { labels.append(try label(fields[0], line: line)) }
        var values = [Float](repeating: 0, count: fields.count - offset)
        for k in offset..<fields.count {
            let s = fields[k]
            guard let v = Float(s) else {
                throw DataError(file: file, line: line, column: k + 1, message: "field \(k + 1) is not a number: '\(s)'")
            }
            guard v.isFinite else {
                throw DataError(file: file, line: line, column: k + 1, message: "field \(k + 1) is not a finite number: '\(s)'")
            }
            values[k - offset] = pixelScale.map { v / $0 } ?? v
        }
        width = values.count
        features.append(values)
    }

    /// A label: a nonnegative integer, written `7` or `7.0`.
    func label(_ s: String, line: Int) throws -> Int {
        if let v = Int(s), v >= 0 { return v }
        guard let v = Double(s), v.isFinite, v >= 0, v == v.rounded(), v < 2_147_483_648 else {
            throw DataError(file: file, line: line, column: 1, message: "label '\(s)' is not a nonnegative integer")
        }
        return Int(v)
    }

    /// A field as text, without surrounding spaces or tabs.
    static func text(_ field: ArraySlice<UInt8>) -> String {
        var lo = field.startIndex, hi = field.endIndex
        while lo < hi && (field[lo] == 0x20 || field[lo] == 0x09) { lo += 1 }
        while hi > lo && (field[hi - 1] == 0x20 || field[hi - 1] == 0x09) { hi -= 1 }
        return String(decoding: field[lo..<hi], as: UTF8.self)
    }
}
