import Foundation

/// A NumPy `.npy` array: format versions 1.0, 2.0 and 3.0, little-endian, C order.
///
/// Layout: the magic `\x93NUMPY`, a major and minor version byte, the header length (2 bytes
/// little-endian in version 1, 4 bytes in versions 2 and 3), a Python dict literal such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (100, 784), }` padded with spaces and a
/// newline, then the raw values. Supported dtypes: `<f4`, `<f8`, `|u1`, `|i1`, `<i4`, `<i8`
/// (one-byte types also spelled `<u1`, `u1`, `<i1`, `i1`).
struct NPYArray {
    /// The element type, from the header's `descr`.
    enum DType: String {
        case float32 = "<f4", float64 = "<f8", int32 = "<i4", int64 = "<i8", uint8 = "|u1", int8 = "|i1"

        /// Bytes per element.
        var size: Int {
            switch self {
            case .float32, .int32: return 4
            case .float64, .int64: return 8
            case .uint8, .int8: return 1
            }
        }

        init?(descr: String) {
            switch descr {
            case "<u1", "u1", "B": self = .uint8
            case "<i1", "i1", "b": self = .int8
            default: self.init(rawValue: descr)
            }
        }
    }

    var dtype: DType
    var shape: [Int]
    /// Every element, in C order, widened to Double (exact for all supported dtypes but int64
    /// beyond 2^53).
    var values: [Double]

    /// Reads and validates a `.npy` file.
    ///
    /// - Throws: ``DataError`` for a bad magic or version, a malformed header, Fortran order,
    ///   an unsupported or big-endian dtype, or a data size that does not match the shape.
    static func read(_ path: String) throws -> NPYArray {
        try parse([UInt8](try Dataset.read(path)), file: path)
    }

    /// Parses the bytes of a `.npy` file; `file` names it in errors.
    static func parse(_ bytes: [UInt8], file: String) throws -> NPYArray {
        func fail(_ m: String) -> DataError { DataError(file: file, message: m) }
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw fail("not a .npy file (bad magic)") }
        let headerLength: Int, headerStart: Int
        switch bytes[6] {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated .npy header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw fail("unsupported .npy format version \(bytes[6]).\(bytes[7])")
        }
        guard bytes.count - headerStart >= headerLength else { throw fail("truncated .npy header") }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        let dict = try NPYHeader.parse(header, file: file)
        guard case .string(let descr)? = dict["descr"] else { throw fail("the header has no 'descr' string: \(header)") }
        guard case .bool(let fortran)? = dict["fortran_order"] else { throw fail("the header has no 'fortran_order' flag: \(header)") }
        guard case .tuple(let shape)? = dict["shape"] else { throw fail("the header has no 'shape' tuple: \(header)") }
        guard !fortran else { throw fail("Fortran-order arrays are not supported; save the array in C order") }
        guard let dtype = DType(descr: descr) else {
            let hint = descr.hasPrefix(">") ? " (big-endian data is not supported)" : ""
            throw fail("dtype '\(descr)' is not supported\(hint); use <f4, <f8, |u1, <i4 or <i8")
        }
        var count = 1
        for d in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw fail("shape \(shape) is too large") }
            count = p
        }
        let start = headerStart + headerLength
        let available = bytes.count - start
        let (needed, overflow) = count.multipliedReportingOverflow(by: dtype.size)
        guard !overflow, available >= needed else {
            throw fail("truncated data: shape \(shape) of \(descr) needs \(needed) bytes, found \(available)")
        }
        guard available == needed else {
            throw fail("\(available - needed) bytes after the data of shape \(shape) of \(descr)")
        }
        var values = [Double](repeating: 0, count: count)
        bytes.withUnsafeBytes { p in
            for i in 0..<count {
                let o = start + i * dtype.size
                switch dtype {
                case .float32: values[i] = Double(Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt32.self))))
                case .float64: values[i] = Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt64.self)))
                case .int32: values[i] = Double(Int32(littleEndian: p.loadUnaligned(fromByteOffset: o, as: Int32.self)))
                case .int64: values[i] = Double(Int64(littleEndian: p.loadUnaligned(fromByteOffset: o, as: Int64.self)))
                case .uint8: values[i] = Double(p[o])
                case .int8: values[i] = Double(Int8(bitPattern: p[o]))
                }
            }
        }
        return NPYArray(dtype: dtype, shape: shape, values: values)
    }
}
