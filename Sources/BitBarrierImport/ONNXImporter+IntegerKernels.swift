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
        let za = aZero?.values.first ?? 0
        guard aScale.count == 1, (aZero?.count ?? 1) == 1, yScale.count == 1, (yZero?.count ?? 1) == 1 else {
            throw error(node, "per-axis a or y quantization parameters are not supported")
        }
        let zb = try perChannel(bZero, n, "b_zero_point", default: 0, node), sb = try perChannel(bScale, n, "b_scale", default: 1, node)
        let bias = try perChannel(c, n, "C", default: 0, node)
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
        let (qmin, qmax) = try quantizedRange(yZero, node)
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

extension ONNXImporter {
    /// A per-output-channel parameter of an integer kernel as n values: absent -> the default, a
    /// scalar -> repeated, else exactly n values.
    func perChannel(_ t: ConstantTensor?, _ n: Int, _ what: String, default d: Double, _ node: Onnx_NodeProto) throws -> [Double] {
        guard let t, t.count > 0 else { return [Double](repeating: d, count: n) }
        if t.count == 1 { return [Double](repeating: t.values[0], count: n) }
        guard t.count == n else { throw error(node, "\(what) has \(t.count) values for \(n) output channels") }
        return t.values
    }

    /// The element range of a quantized type given by a zero point's ONNX data type (uint8 when
    /// the zero point is absent, as ONNX specifies).
    func quantizedRange(_ zeroPoint: ConstantTensor?, _ node: Onnx_NodeProto) throws -> (Float, Float) {
        switch Onnx_TensorProto.DataType(rawValue: zeroPoint?.dataType ?? 2) ?? .uint8 {
        case .int8: return (-128, 127)
        case .uint8: return (0, 255)
        case let t: throw error(node, "quantized type \(t) is not supported (int8 or uint8)")
        }
    }

    /// QLinearConv: acc = sum (x - x_zp)(w - w_zp) + B over the window, exact in int32 (padding is
    /// x_zp, i.e. a zero term), then requantized as onnxruntime does (MlasRequantizeOutput):
    /// y = saturate(round_half_even(float32(acc) * m_c) + y_zp), m_c = float32(x_scale * w_scale_c)
    /// / y_scale per output channel.
    ///
    /// In the IR: subtract x_zp (exact), a Conv with exact integer weights w - w_zp and bias B
    /// (its concrete result is float32(acc)), then a requantizing QuantizeLinear.
    mutating func importQLinearConv(_ node: Onnx_NodeProto) throws {
        let x = try computed(0, of: node)
        let xScale = try constant(1, of: node, what: "x_scale")
        let xZero = try optionalConstant(2, of: node, what: "x_zero_point")
        let w = try constant(3, of: node, what: "w")
        let wScale = try constant(4, of: node, what: "w_scale")
        let wZero = try optionalConstant(5, of: node, what: "w_zero_point")
        let yScale = try constant(6, of: node, what: "y_scale")
        let yZero = try optionalConstant(7, of: node, what: "y_zero_point")
        let b = try optionalConstant(8, of: node, what: "B")
        let chw = try image(x, node)
        guard w.shape.count == 4 else { throw error(node, "weight of shape \(w.shape) is not [M, C/group, kH, kW]") }
        guard xScale.count == 1, (xZero?.count ?? 1) == 1, yScale.count == 1, (yZero?.count ?? 1) == 1 else {
            throw error(node, "per-axis x or y quantization parameters are not supported")
        }
        let group = int(node, "group", default: 1)
        guard w.shape[1] * group == chw[0] else {
            throw error(node, "weight of shape \(w.shape) with group \(group) does not match \(chw[0]) input channels")
        }
        let m = w.shape[0], perFilter = w.count / max(m, 1)
        let zw = try perChannel(wZero, m, "w_zero_point", default: 0, node), sw = try perChannel(wScale, m, "w_scale", default: 1, node)
        let bias = try perChannel(b, m, "B", default: 0, node)
        let weights = w.values.indices.map { w.values[$0] - zw[$0 / perFilter] }
        let win = try window(node, kernel: ints(node, "kernel_shape") ?? [w.shape[2], w.shape[3]], input: chw)
        let (qmin, qmax) = try quantizedRange(yZero, node)
        var input = x.ref
        let za = xZero?.values.first ?? 0
        if za != 0 {
            let shift = try build(node) { try ScaleShift(.subtract, constant: [Float](repeating: Float(za), count: chw.reduce(1, *))) }
            nodes.append(Node(name: nodeName(node) + "/x_zero_point", opType: node.opType, layer: shift, inputs: [input], shape: x.shape))
            input = .node(nodes.count - 1)
        }
        let conv = try build(node) {
            try Conv(inputShape: chw, outputChannels: m, window: win, group: group, exactWeights: weights, bias: bias)
        }
        let shape = [1] + conv.outputShape
        nodes.append(Node(name: nodeName(node) + "/accumulate", opType: node.opType, layer: conv, inputs: [input], shape: shape))
        let spatial = conv.outputShape[1] * conv.outputShape[2]
        let multipliers = (0..<m).flatMap { c in
            [Float](repeating: Float(xScale.values[0]) * Float(sw[c]) / Float(yScale.values[0]), count: spatial)
        }
        let requant = try build(node) {
            try QuantizeLinear(requantize: multipliers, zeroPoint: [Float](repeating: Float(yZero?.values.first ?? 0), count: multipliers.count),
                               qmin: qmin, qmax: qmax)
        }
        try emit(node, layer: requant, inputs: [.node(nodes.count - 1)], shape: shape)
    }

    /// com.microsoft QLinearAveragePool (NCHW, 2-D): see `QLinearAveragePool` for the arithmetic.
    /// onnxruntime runs a different, integer kernel when the window covers the whole image with no
    /// padding (global average pooling); that case is refused rather than approximated.
    mutating func importQLinearAveragePool(_ node: Onnx_NodeProto) throws {
        let x = try computed(0, of: node)
        let chw = try image(x, node)
        let xScale = try constant(1, of: node, what: "x_scale")
        let xZero = try optionalConstant(2, of: node, what: "x_zero_point")
        let yScale = try constant(3, of: node, what: "y_scale")
        let yZero = try optionalConstant(4, of: node, what: "y_zero_point")
        guard int(node, "channels_last", default: 0) == 0 else { throw error(node, "channels_last = 1 is not supported") }
        guard let kernel = ints(node, "kernel_shape") else { throw error(node, "kernel_shape is required") }
        guard xScale.count == 1, yScale.count == 1, (xZero?.count ?? 1) == 1, (yZero?.count ?? 1) == 1 else {
            throw error(node, "scales and zero points must be scalars")
        }
        let win = try window(node, kernel: kernel, input: chw)
        if kernel == [chw[1], chw[2]] && win.pads.allSatisfy({ $0 == 0 }) {
            throw error(node, "a window covering the whole image runs onnxruntime's integer global-average kernel, which is not supported")
        }
        let (qmin, qmax) = try quantizedRange(yZero, node)
        let layer = try build(node) {
            try QLinearAveragePool(inputShape: chw, window: win, countIncludePad: int(node, "count_include_pad", default: 0) == 1,
                                   xScale: Float(xScale.values[0]), xZeroPoint: Float(xZero?.values.first ?? 0),
                                   yScale: Float(yScale.values[0]), yZeroPoint: Float(yZero?.values.first ?? 0), qmin: qmin, qmax: qmax)
        }
        try emit(node, layer: layer, inputs: [x.ref], shape: [1] + layer.outputShape)
    }
}

extension ONNXImporter {
    /// com.microsoft QLinearAdd of two computed tensors of the same shape (see `QLinearAdd` for the
    /// arithmetic of onnxruntime's kernel).
    mutating func importQLinearAdd(_ node: Onnx_NodeProto) throws {
        let a = try computed(0, of: node), b = try computed(3, of: node)
        guard a.shape == b.shape else {
            throw error(node, "inputs of shapes \(a.shape) and \(b.shape) (broadcasting is not supported)")
        }
        let scalars = try [(1, "A_scale"), (2, "A_zero_point"), (4, "B_scale"), (5, "B_zero_point"), (6, "C_scale"), (7, "C_zero_point")]
            .map { i, what -> ConstantTensor? in try optionalConstant(i, of: node, what: what) }
        guard scalars.allSatisfy({ ($0?.count ?? 1) == 1 }), scalars[0] != nil, scalars[2] != nil, scalars[4] != nil else {
            throw error(node, "scales must be given and scales and zero points must be scalars")
        }
        func v(_ i: Int) -> Float { Float(scalars[i]?.values.first ?? 0) }
        let (qmin, qmax) = try quantizedRange(scalars[5] ?? scalars[1], node)
        let layer = try build(node) {
            try QLinearAdd(count: a.shape.reduce(1, *), aScale: v(0), aZeroPoint: v(1), bScale: v(2), bZeroPoint: v(3),
                           cScale: v(4), cZeroPoint: v(5), qmin: qmin, qmax: qmax)
        }
        try emit(node, layer: layer, inputs: [a.ref, b.ref], shape: a.shape)
    }
}
