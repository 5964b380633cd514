import BitBarrierCore
import ONNXProto

extension ONNXImporter {
    /// Flatten, Reshape, Squeeze, Unsqueeze: a new shape for the same C-order data.
    mutating func importReshape(_ node: Onnx_NodeProto) throws {
        let input = try value(node.input[0], of: node)
        let shape: [Int]
        switch input {
        case .constant(let c): shape = c.shape
        case .computed(let c): shape = c.shape
        }
        let total = shape.reduce(1, *)
        var out: [Int]
        switch node.opType {
        case "Flatten":
            let ax = try axis(int(node, "axis", default: 1), rank: shape.count + 1, node)
            out = [shape[..<ax].reduce(1, *), shape[ax...].reduce(1, *)]
        case "Reshape":
            let target = try constant(1, of: node, what: "shape").ints
            let allowZero = int(node, "allowzero", default: 0) == 1
            out = target.enumerated().map { i, d in d == 0 && !allowZero && i < shape.count ? shape[i] : d }
            let unknown = out.filter { $0 == -1 }.count
            guard unknown <= 1, out.allSatisfy({ $0 >= -1 }) else { throw error(node, "invalid target shape \(target)") }
            if unknown == 1 {
                let known = out.filter { $0 != -1 }.reduce(1, *)
                guard known > 0, total % known == 0 else { throw error(node, "cannot reshape \(shape) to \(target)") }
                out = out.map { $0 == -1 ? total / known : $0 }
            }
        case "Squeeze":
            let axes = try (ints(node, "axes") ?? optionalConstant(1, of: node, what: "axes")?.ints)
                .map { try $0.map { try axis($0, rank: shape.count, node) } }
            out = shape.enumerated().filter { i, d in axes.map { !$0.contains(i) } ?? (d != 1) }.map(\.1)
        default:  // Unsqueeze
            guard let raw = try ints(node, "axes") ?? optionalConstant(1, of: node, what: "axes")?.ints else {
                throw error(node, "Unsqueeze needs axes")
            }
            let rank = shape.count + raw.count
            let axes = try raw.map { try axis($0, rank: rank, node) }
            var it = shape.makeIterator()
            out = (0..<rank).map { axes.contains($0) ? 1 : it.next() ?? 1 }
        }
        guard out.reduce(1, *) == total else { throw error(node, "cannot reshape \(shape) (\(total) values) to \(out)") }
        switch input {
        case .constant(var c):
            c.shape = out
            try setConstant(node, c)
        case .computed(let c):
            try emit(node, layer: Reshape(size: total, operatorName: node.opType), inputs: [c.ref], shape: out)
        }
    }

    /// Shape, Gather and Cast, folded at import (they compute shapes, not activations).
    mutating func importShapeArithmetic(_ node: Onnx_NodeProto) throws {
        let input = try value(node.input[0], of: node)
        switch (node.opType, input) {
        case ("Shape", .computed(let c)):
            try setConstant(node, ConstantTensor(shape: [c.shape.count], values: c.shape.map(Double.init), isInteger: true))
        case ("Shape", .constant(let c)):
            try setConstant(node, ConstantTensor(shape: [c.shape.count], values: c.shape.map(Double.init), isInteger: true))
        case ("Cast", .constant(var c)):
            let to = Onnx_TensorProto.DataType(rawValue: int(node, "to", default: 1)) ?? .float
            c.isInteger = to != .float && to != .double && to != .float16
            if c.isInteger { c.values = c.values.map { $0.rounded(.towardZero) } } else if to == .float { c.values = c.values.map { Double(Float($0)) } }
            try setConstant(node, c)
        case ("Gather", .constant(let data)):
            let indices = try constant(1, of: node, what: "indices")
            let ax = try axis(int(node, "axis", default: 0), rank: data.shape.count, node)
            let outer = data.shape[..<ax].reduce(1, *), inner = data.shape[(ax + 1)...].reduce(1, *)
            let n = data.shape[ax]
            var vals: [Double] = []
            for o in 0..<outer {
                for raw in indices.ints {
                    let i = raw < 0 ? raw + n : raw
                    guard i >= 0 && i < n else { throw error(node, "index \(raw) out of range \(n)") }
                    vals += data.values[((o * n + i) * inner)..<((o * n + i + 1) * inner)]
                }
            }
            let shape = Array(data.shape[..<ax]) + indices.shape + Array(data.shape[(ax + 1)...])
            try setConstant(node, ConstantTensor(shape: shape, values: vals, isInteger: data.isInteger))
        default:
            throw error(node, "\(node.opType) of a tensor computed from the input is not supported")
        }
    }
}
