import BitBarrierCore
import ONNXProto

extension ONNXImporter {
    /// QGemm (com.microsoft) and QLinearMatMul: integer products accumulated exactly, then
    /// requantized as onnxruntime does: y = saturate(round_half_even(float32(acc) * m) + y_zp),
    /// with m = float32(a_scale * b_scale) / y_scale per output column and
    /// acc = sum_k (a_k - a_zp)(b_kn - b_zp_n) + C_n.
    ///
    /// In the IR: a Dense layer with exact integer weights b - b_zp and the bias
    /// C_n - a_zp * sum_k (b_kn - b_zp_n) (its concrete result is float32(acc), exactly what the
    /// runtime rounds), followed by a requantizing QuantizeLinear.
    mutating func importIntegerGemm(_ node: Onnx_NodeProto) throws {
        let isGemm = node.opType == "QGemm"
        let a = try computed(0, of: node)
        let aScale = try constant(1, of: node, what: "a_scale")
        let aZero = try optionalConstant(2, of: node, what: "a_zero_point")
        let b = try constant(3, of: node, what: "B")
        let bScale = try constant(4, of: node, what: "b_scale")
        let bZero = try optionalConstant(5, of: node, what: "b_zero_point")
        let c = isGemm ? try optionalConstant(6, of: node, what: "C") : nil
        let yScale = try optionalConstant(isGemm ? 7 : 6, of: node, what: "y_scale")
        let yZero = try optionalConstant(isGemm ? 8 : 7, of: node, what: "y_zero_point")
        guard let yScale else { throw error(node, "a float output (no y_scale) is not supported") }
        if isGemm {
            guard int(node, "transA", default: 0) == 0 else { throw error(node, "transA = 1 is not supported") }
            guard float(node, "alpha", default: 1) == 1 else { throw error(node, "alpha other than 1 is not supported") }
        }
        guard b.shape.count == 2 else { throw error(node, "B of shape \(b.shape) is not 2-D") }
        let transB = isGemm && int(node, "transB", default: 0) == 1
        let (k, n) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard a.shape.dropLast().reduce(1, *) == 1, a.shape.last == k else {
            throw error(node, "input of shape \(a.shape) does not match B of shape \(b.shape): expected a single row of \(k)")
        }
        func perColumn(_ t: ConstantTensor?, default d: Double) throws -> [Double] {
            guard let t, t.count > 0 else { return [Double](repeating: d, count: n) }
            if t.count == 1 { return [Double](repeating: t.values[0], count: n) }
            guard t.count == n else { throw error(node, "per-column parameter has \(t.count) values for \(n) columns") }
            return t.values
        }
        let za = aZero?.values.first ?? 0
        guard aScale.count == 1, (aZero?.count ?? 1) == 1, yScale.count == 1, (yZero?.count ?? 1) == 1 else {
            throw error(node, "per-axis a or y quantization parameters are not supported")
        }
        let zb = try perColumn(bZero, default: 0), sb = try perColumn(bScale, default: 1)
        let bias = try perColumn(c, default: 0)
        var weights = [Double](repeating: 0, count: n * k)
        var folded = bias
        for col in 0..<n {
            var rowSum = 0.0
            for r in 0..<k {
                let v = (transB ? b.values[col * k + r] : b.values[r * n + col]) - zb[col]
                weights[col * k + r] = v
                rowSum += v
            }
            folded[col] -= za * rowSum
        }
        let yType = Onnx_TensorProto.DataType(rawValue: yZero?.dataType ?? 2) ?? .uint8
        let (qmin, qmax): (Float, Float) = yType == .int8 ? (-128, 127) : (0, 255)
        guard yType == .int8 || yType == .uint8 else { throw error(node, "output type \(yType) is not supported") }
        let multipliers = sb.map { Float(aScale.values[0]) * Float($0) / Float(yScale.values[0]) }
        let shape = Array(a.shape.dropLast()) + [n]
        nodes.append(Node(name: nodeName(node) + "/accumulate", opType: node.opType, layer: Dense(outputs: n, inputs: k, exactWeights: weights, bias: folded),
                          inputs: [a.ref], shape: shape))
        let requant = try build(node) {
            try QuantizeLinear(requantize: multipliers, zeroPoint: [Float](repeating: Float(yZero?.values.first ?? 0), count: n), qmin: qmin, qmax: qmax)
        }
        try emit(node, layer: requant, inputs: [.node(nodes.count - 1)], shape: shape)
    }
}
