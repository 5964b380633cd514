import BitBarrierCore
import Foundation
import ONNXProto

/// A tensor known at import time (an initializer, a Constant node, or a folded expression).
struct ConstantTensor {
    var shape: [Int]
    /// Values as Double (float, double, and integer tensors alike; int64 shapes are exact).
    var values: [Double]
    var isInteger: Bool
    /// ONNX element type (TensorProto.DataType raw value); 1 = float.
    var dataType: Int = 1

    var count: Int { values.count }
    var floats: [Float] { values.map { Float($0) } }
    var ints: [Int] { values.map { Int($0) } }

    /// Decodes an ONNX TensorProto from raw_data or the typed fields.
    init(_ t: Onnx_TensorProto, file: String, node: String?) throws {
        let shape = t.dims.map { Int($0) }
        self.shape = shape
        let count = shape.reduce(1, *)
        let type = Onnx_TensorProto.DataType(rawValue: Int(t.dataType)) ?? .undefined
        func fail(_ m: String) -> ImportError {
            ImportError(file: file, node: node, message: "tensor '\(t.name)': \(m)")
        }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw fail("negative dimension in \(shape)") }
        if t.dataLocation == .external { throw fail("external data is not supported; save the model with its weights inside") }
        let raw = t.rawData
        func decode<T>(_ width: Int, _ convert: (UnsafeRawBufferPointer, Int) -> T) throws -> [T] {
            guard raw.count == count * width else {
                throw fail("raw_data has \(raw.count) bytes, expected \(count) x \(width) for shape \(shape)")
            }
            return raw.withUnsafeBytes { p in (0..<count).map { convert(p, $0 * width) } }
        }
        var v: [Double]
        let isInteger: Bool
        switch type {
        case .float:
            v = raw.isEmpty ? t.floatData.map(Double.init)
                : try decode(4) { p, o in Double(Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt32.self)))) }
            isInteger = false
        case .double:
            v = raw.isEmpty ? t.doubleData
                : try decode(8) { p, o in Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt64.self))) }
            isInteger = false
        case .int64:
            v = raw.isEmpty ? t.int64Data.map(Double.init)
                : try decode(8) { p, o in Double(Int64(littleEndian: p.loadUnaligned(fromByteOffset: o, as: Int64.self))) }
            isInteger = true
        case .int32, .int16, .int8, .uint8, .uint16, .bool:
            let width: Int
            switch type {
            case .int32: width = 4
            case .int16, .uint16: width = 2
            default: width = 1
            }
            if raw.isEmpty {
                v = t.int32Data.map(Double.init)
            } else {
                v = try decode(width) { p, o in
                    switch type {
                    case .int32: return Double(Int32(littleEndian: p.loadUnaligned(fromByteOffset: o, as: Int32.self)))
                    case .int16: return Double(Int16(littleEndian: p.loadUnaligned(fromByteOffset: o, as: Int16.self)))
                    case .uint16: return Double(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt16.self)))
                    case .int8: return Double(p.load(fromByteOffset: o, as: Int8.self))
                    default: return Double(p.load(fromByteOffset: o, as: UInt8.self))
                    }
                }
            }
            isInteger = true
        default:
            throw fail("data type \(type) is not supported")
        }
        guard v.count == count else { throw fail("holds \(v.count) values, expected \(count) for shape \(shape)") }
        values = v
        self.isInteger = isInteger
        dataType = Int(t.dataType)
    }

    init(shape: [Int], values: [Double], isInteger: Bool = false) {
        self.shape = shape
        self.values = values
        self.isInteger = isInteger
    }

    /// The first index of a NaN or infinite value, if any.
    var firstNonFinite: Int? { values.firstIndex { !$0.isFinite } }
}
