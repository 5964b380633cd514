import Foundation

/// A NumPy `.npy` array (format versions 1-3, little-endian, C order).
struct NPYArray {
    var shape: [Int]
    var values: [Double]

    /// Reads `<f4`, `<f8`, `|u1`, `<i8`, `<i4` (and `|i1`) arrays.
    static func read(_ path: String) throws -> NPYArray {
        let data = try Dataset.read(path)
        func fail(_ m: String) -> DataError { DataError(file: path, message: m) }
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard data.count >= 10, Array(data.prefix(6)) == magic else { throw fail("not a .npy file (bad magic)") }
        let bytes = [UInt8](data)
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1: headerLength = Int(bytes[8]) | Int(bytes[9]) << 8; headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default: throw fail("unsupported .npy version \(major)")
        }
        guard bytes.count >= headerStart + headerLength else { throw fail("truncated header") }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        func field(_ key: String) -> String? {
            guard let r = header.range(of: "'\(key)'") else { return nil }
            var rest = header[r.upperBound...].drop { $0 == " " || $0 == ":" }
            if rest.first == "(" {
                guard let close = rest.firstIndex(of: ")") else { return nil }
                return String(rest[rest.index(after: rest.startIndex)..<close])
            }
            if rest.first == "'" {
                rest = rest.dropFirst()
                return rest.firstIndex(of: "'").map { String(rest[..<$0]) }
            }
            return String(rest.prefix { $0 != "," && $0 != "}" }).trimmingCharacters(in: .whitespaces)
        }
        guard let descr = field("descr"), let order = field("fortran_order"), let shapeText = field("shape") else {
            throw fail("header lacks descr, fortran_order or shape: \(header)")
        }
        guard order == "False" else { throw fail("Fortran-order arrays are not supported; save with C order") }
        let shape = try shapeText.split(separator: ",").map { s -> Int in
            guard let v = Int(s.trimmingCharacters(in: .whitespaces)), v >= 0 else { throw fail("bad shape (\(shapeText))") }
            return v
        }
        let count = shape.reduce(1, *)
        let width: Int
        switch descr {
        case "<f4", "<i4": width = 4
        case "<f8", "<i8": width = 8
        case "|u1", "|i1", "<u1": width = 1
        default: throw fail("dtype '\(descr)' is not supported (float32, float64, uint8, int32, int64)")
        }
        let start = headerStart + headerLength
        guard bytes.count - start >= count * width else {
            throw fail("truncated data: \(bytes.count - start) bytes for \(count) values of \(width) bytes")
        }
        var values = [Double](repeating: 0, count: count)
        data.withUnsafeBytes { p in
            for i in 0..<count {
                let o = start + i * width
                switch descr {
                case "<f4": values[i] = Double(Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt32.self))))
                case "<f8": values[i] = Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt64.self)))
                case "<i4": values[i] = Double(Int32(littleEndian: p.loadUnaligned(fromByteOffset: o, as: Int32.self)))
                case "<i8": values[i] = Double(Int64(littleEndian: p.loadUnaligned(fromByteOffset: o, as: Int64.self)))
                case "|i1": values[i] = Double(p.load(fromByteOffset: o, as: Int8.self))
                default: values[i] = Double(p.load(fromByteOffset: o, as: UInt8.self))
                }
            }
        }
        return NPYArray(shape: shape, values: values)
    }
}

extension Dataset {
    /// Features from a `.npy` of shape [N, ...] (each sample flattened), labels from a `.npy` of shape [N].
    public static func loadNPY(features: String, labels: String?, pixelScale: Float? = nil) throws -> Dataset {
        let x = try NPYArray.read(features)
        guard let n = x.shape.first, n > 0 else { throw DataError(file: features, message: "expected shape [N, ...] with N > 0, got \(x.shape)") }
        let width = x.shape.dropFirst().reduce(1, *)
        if let bad = x.values.firstIndex(where: { !$0.isFinite }) {
            throw DataError(file: features, message: "sample \(bad / max(width, 1)) holds a non-finite value")
        }
        let rows = (0..<n).map { i in x.values[(i * width)..<((i + 1) * width)].map { v in Float(v) / (pixelScale ?? 1) } }
        var labelValues: [Int]? = nil
        if let labels {
            let y = try NPYArray.read(labels)
            guard y.values.count == n else {
                throw DataError(file: labels, message: "\(y.values.count) labels for \(n) samples in \(features)")
            }
            labelValues = try y.values.enumerated().map { i, v in
                guard v >= 0, v == v.rounded(), v < 1e9 else { throw DataError(file: labels, message: "label \(v) at index \(i) is not a nonnegative integer") }
                return Int(v)
            }
        }
        return Dataset(features: rows, labels: labelValues, width: width, source: features)
    }
}
