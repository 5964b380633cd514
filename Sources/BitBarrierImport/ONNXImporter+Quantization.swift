import BitBarrierCore
import ONNXProto

extension ONNXImporter {
    /// QuantizeLinear and DequantizeLinear (per tensor or per axis; int8 and uint8).
    ///
    /// DequantizeLinear of a constant (quantized weights and int32 biases) is folded exactly as
    /// onnxruntime computes it: float32(q - zp) * scale. Of a computed tensor it becomes two exact
    /// steps, subtract the zero point, multiply by the scale (float32 product; its rounding is
    /// carried as a runtime error term).
    mutating func importQuantization(_ node: Onnx_NodeProto) throws {
        let input = try value(node.input[0], of: node)
        let scale = try constant(1, of: node, what: "scale")
        let zp = try optionalConstant(2, of: node, what: "zero point")
        let shape: [Int]
        switch input {
        case .constant(let c): shape = c.shape
        case .computed(let c): shape = c.shape
        }
        let total = shape.reduce(1, *)
        // Expand per-tensor or per-axis parameters to one value per element.
        func expand(_ t: ConstantTensor?, default d: Double) throws -> [Double] {
            guard let t, t.count > 0 else { return [Double](repeating: d, count: total) }
            if t.count == 1 { return [Double](repeating: t.values[0], count: total) }
            let ax = try axis(int(node, "axis", default: 1), rank: shape.count, node)
            guard t.count == shape[ax] else {
                throw error(node, "per-axis parameter of \(t.count) values does not match axis \(ax) of shape \(shape)")
            }
            let inner = shape[(ax + 1)...].reduce(1, *)
            return (0..<total).map { t.values[($0 / inner) % shape[ax]] }
        }
        let s = try expand(scale, default: 1)
        let z = try expand(zp, default: 0)
        if node.opType == "QuantizeLinear" {
            let (qmin, qmax) = try quantizedRange(zp, node)
            guard case .computed(let x) = input else { throw error(node, "QuantizeLinear of a constant is not supported") }
            let layer = try build(node) { try QuantizeLinear(scale: s.map { Float($0) }, zeroPoint: z.map { Float($0) }, qmin: qmin, qmax: qmax) }
            try emit(node, layer: layer, inputs: [x.ref], shape: x.shape)
            return
        }
        switch input {
        case .constant(let q):
            let values = (0..<total).map { i in Double(Float(q.values[i] - z[i]) * Float(s[i])) }
            try setConstant(node, ConstantTensor(shape: q.shape, values: values))
        case .computed(let x):
            let sub = try build(node) { try ScaleShift(.subtract, constant: z.map { Float($0) }) }
            nodes.append(Node(name: nodeName(node) + "/zero_point", opType: "DequantizeLinear", layer: sub, inputs: [x.ref], shape: x.shape))
            let mul = try build(node) { try ScaleShift(.multiply, constant: s.map { Float($0) }, runtimeRelativeError: 0x1p-24) }
            try emit(node, layer: mul, inputs: [.node(nodes.count - 1)], shape: x.shape)
        }
    }
}
