import BitBarrierCore
import ONNXProto

extension ONNXImporter {
    /// A value of `quantize_dynamic`'s pattern not yet turned into a layer: the pattern is
    /// DynamicQuantizeLinear(x) -> (q, s, zp); Mul(s, w_scale); MatMulInteger / ConvInteger(q, w, zp,
    /// w_zp); Cast(to float); Mul(accumulator, s * w_scale) [; Add(bias)]. Its pieces are recorded
    /// here until the final Mul, which becomes one `DynamicQuantizedAffine` layer reading x (the
    /// scale depends on all of x, so no piece is a layer on its own).
    enum DynamicValue {
        case quantized(Computed)
        case scale(Computed)
        case zeroPoint(Computed)
        /// s(x) times a constant (the weight scale).
        case scaleProduct(Computed, ConstantTensor)
        /// The int32 accumulator W' (q - zp) of x, before (cast false) or after Cast to float.
        case accumulator(Computed, AffineMap, shape: [Int], cast: Bool)
    }

    /// Whether `node` belongs to the dynamic-quantization pattern past its DynamicQuantizeLinear:
    /// it reads a pending value, or it is the bias Add of a fused layer.
    func continuesDynamicPattern(_ node: Onnx_NodeProto) -> Bool {
        node.input.contains { dynamic[$0] != nil } || fusableBias(node) != nil
    }

    mutating func importDynamicQuantizeLinear(_ node: Onnx_NodeProto) throws {
        let x = try computed(0, of: node)
        guard node.output.count == 3 else { throw error(node, "expected 3 outputs (y, y_scale, y_zero_point)") }
        dynamic[node.output[0]] = .quantized(x)
        dynamic[node.output[1]] = .scale(x)
        dynamic[node.output[2]] = .zeroPoint(x)
    }

    /// The next step of the pattern for a node reading pending values; anything else is refused
    /// with the reason.
    mutating func importDynamicPattern(_ node: Onnx_NodeProto) throws {
        if let fused = fusableBias(node) {
            guard case .computed(let y) = try value(node.input[fused.input], of: node),
                  case .node(let index) = y.ref, let layer = nodes[index].layer as? DynamicQuantizedAffine else {
                throw error(node, "internal: the fused dynamic layer is missing")
            }
            let b = Self.broadcast(fused.constant, to: y.shape).map { Float($0) }
            nodes[index].layer = try build(node) { try layer.addingBias(b) }
            nodes[index].opType += "+Add"
            fusedOutputs[node.input[fused.input]] = nil
            values[node.output[0]] = .computed(y)
            return
        }
        func pending(_ i: Int) -> DynamicValue? { i < node.input.count ? dynamic[node.input[i]] : nil }
        let unsupported = error(node, "\(node.opType) of a DynamicQuantizeLinear output is not supported (only quantize_dynamic's pattern: MatMulInteger or ConvInteger, Cast, Mul by the scale product)")
        switch node.opType {
        case "Mul":
            switch (pending(0), pending(1)) {
            case (.scale(let x)?, nil), (nil, .scale(let x)?):
                let c = try constant(pending(0) == nil ? 0 : 1, of: node, what: "weight scale")
                dynamic[node.output[0]] = .scaleProduct(x, c)
            case (.accumulator(let x, let map, let shape, true)?, .scaleProduct(let x2, let c)?),
                 (.scaleProduct(let x2, let c)?, .accumulator(let x, let map, let shape, true)?):
                guard x.ref == x2.ref else { throw error(node, "the scale and the accumulator come from different DynamicQuantizeLinear inputs") }
                guard let out = Self.broadcastShape(shape, c.shape), out == shape else {
                    throw error(node, "weight scale of shape \(c.shape) does not broadcast to the output \(shape)")
                }
                let scales = Self.broadcast(c, to: shape).map { Float($0) }
                let layer = try build(node) { try DynamicQuantizedAffine(integer: map, weightScale: scales) }
                try emit(node, layer: layer, inputs: [x.ref], shape: shape)
                fusedOutputs[node.output[0]] = nodes.count - 1
            default:
                throw unsupported
            }
        case "Cast":
            guard case .accumulator(let x, let map, let shape, false)? = pending(0),
                  int(node, "to", default: 0) == Int(Onnx_TensorProto.DataType.float.rawValue) else { throw unsupported }
            dynamic[node.output[0]] = .accumulator(x, map, shape: shape, cast: true)
        case "MatMulInteger", "ConvInteger":
            guard case .quantized(let x)? = pending(0), case .zeroPoint(let x2)? = pending(2), x.ref == x2.ref else {
                throw error(node, "\(node.opType) is supported on DynamicQuantizeLinear's output with its own zero point only")
            }
            let w = try constant(1, of: node, what: "weight")
            let wZero = try optionalConstant(3, of: node, what: "weight zero point")
            let (map, shape) = node.opType == "MatMulInteger"
                ? try integerMatMul(node, x: x, w: w, wZero: wZero) : try integerConv(node, x: x, w: w, wZero: wZero)
            dynamic[node.output[0]] = .accumulator(x, map, shape: shape, cast: false)
        default:
            throw unsupported
        }
    }

    /// The Add of a constant to a fused layer's output (read nowhere else): its input index and
    /// the constant.
    func fusableBias(_ node: Onnx_NodeProto) -> (input: Int, constant: ConstantTensor)? {
        guard node.opType == "Add", node.input.count == 2 else { return nil }
        for i in 0..<2 where fusedOutputs[node.input[i]] != nil && consumers[node.input[i]] == 1 {
            guard case .constant(let c)? = values[node.input[1 - i]], c.firstNonFinite == nil,
                  case .computed(let y)? = values[node.input[i]],
                  let shape = Self.broadcastShape(y.shape, c.shape), shape == y.shape else { return nil }
            return (i, c)
        }
        return nil
    }

    /// MatMulInteger of a row by a constant [K, N] matrix: W'_nk = w_kn - w_zp_n.
    func integerMatMul(_ node: Onnx_NodeProto, x: Computed, w: ConstantTensor, wZero: ConstantTensor?) throws -> (AffineMap, [Int]) {
        guard w.shape.count == 2 else { throw error(node, "weight of shape \(w.shape) is not 2-D") }
        let (k, n) = (w.shape[0], w.shape[1])
        guard x.shape.dropLast().reduce(1, *) == 1, x.shape.last == k else {
            throw error(node, "input of shape \(x.shape) does not match weight of shape \(w.shape): expected a single row of \(k)")
        }
        let zw: [Double]
        switch wZero?.count ?? 0 {
        case 0: zw = [Double](repeating: 0, count: n)
        case 1: zw = [Double](repeating: wZero!.values[0], count: n)
        case n: zw = wZero!.values
        default: throw error(node, "weight zero point has \(wZero!.count) values for \(n) columns")
        }
        var weights = [Double](repeating: 0, count: n * k)
        for r in 0..<k { for c in 0..<n { weights[c * k + r] = w.values[r * n + c] - zw[c] } }
        return (AffineMap(outputs: n, inputs: k, storage: .dense(weights)), Array(x.shape.dropLast()) + [n])
    }

    /// ConvInteger (padding with the input zero point, a zero term): W' = w - w_zp.
    func integerConv(_ node: Onnx_NodeProto, x: Computed, w: ConstantTensor, wZero: ConstantTensor?) throws -> (AffineMap, [Int]) {
        let chw = try image(x, node)
        guard w.shape.count == 4 else { throw error(node, "weight of shape \(w.shape) is not [M, C/group, kH, kW]") }
        let group = int(node, "group", default: 1)
        guard w.shape[1] * group == chw[0] else {
            throw error(node, "weight of shape \(w.shape) with group \(group) does not match \(chw[0]) input channels")
        }
        let m = w.shape[0], perFilter = w.count / max(m, 1)
        let zw: [Double]
        switch wZero?.count ?? 0 {
        case 0: zw = [Double](repeating: 0, count: m)
        case 1: zw = [Double](repeating: wZero!.values[0], count: m)
        case m: zw = wZero!.values
        default: throw error(node, "weight zero point has \(wZero!.count) values for \(m) output channels")
        }
        let win = try window(node, kernel: ints(node, "kernel_shape") ?? [w.shape[2], w.shape[3]], input: chw)
        let conv = try build(node) {
            try Conv(inputShape: chw, outputChannels: m, window: win, group: group,
                     exactWeights: w.values.indices.map { w.values[$0] - zw[$0 / perFilter] }, bias: nil)
        }
        return (conv.map, [1] + conv.outputShape)
    }
}
