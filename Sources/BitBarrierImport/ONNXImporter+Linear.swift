import BitBarrierCore
import ONNXProto

extension ONNXImporter {
    /// Gemm: Y = alpha * A' B' + beta * C with A computed (a single row) and B, C constant.
    mutating func importGemm(_ node: Onnx_NodeProto) throws {
        let a = try computed(0, of: node)
        let b = try constant(1, of: node, what: "weight B")
        let c = try optionalConstant(2, of: node, what: "bias C")
        guard int(node, "transA", default: 0) == 0 else { throw error(node, "transA = 1 is not supported") }
        guard float(node, "alpha", default: 1) == 1, float(node, "beta", default: 1) == 1 else {
            throw error(node, "alpha and beta other than 1 are not supported")
        }
        guard b.shape.count == 2 else { throw error(node, "weight B has shape \(b.shape), expected 2-D") }
        let transB = int(node, "transB", default: 0) == 1
        let (k, n) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        let rows = a.shape.count >= 2 ? a.shape[..<(a.shape.count - 1)].reduce(1, *) : 1
        guard rows == 1, a.shape.last == k else {
            throw error(node, "input of shape \(a.shape) does not match weight B of shape \(b.shape)\(transB ? " (transB)" : ""): expected [1, \(k)]")
        }
        let weights = transB ? b.floats : Self.transpose(b.floats, rows: k, columns: n)
        var bias: [Float]? = nil
        if let c {
            guard Self.broadcastShape([1, n], c.shape) == [1, n] else { throw error(node, "bias C of shape \(c.shape) does not broadcast to [1, \(n)]") }
            bias = Self.broadcast(c, to: [1, n]).map { Float($0) }
        }
        try emit(node, layer: Dense(outputs: n, inputs: k, weights: weights, bias: bias, runtimeFloat32: quantized), inputs: [a.ref], shape: [1, n])
    }

    /// MatMul of a computed row by a constant matrix (x W), or of a constant matrix by a
    /// computed column (W x).
    mutating func importMatMul(_ node: Onnx_NodeProto) throws {
        let first = try value(node.input[0], of: node)
        if case .computed(let x) = first {
            let w = try constant(1, of: node, what: "weight")
            guard w.shape.count == 2 else { throw error(node, "weight of shape \(w.shape) is not 2-D") }
            let (k, n) = (w.shape[0], w.shape[1])
            let rows = x.shape.dropLast().reduce(1, *)
            guard rows == 1, x.shape.last == k else {
                throw error(node, "input of shape \(x.shape) does not match weight of shape \(w.shape): expected a single row of \(k)")
            }
            let shape = x.shape.count <= 1 ? [n] : Array(x.shape.dropLast()) + [n]
            try emit(node, layer: Dense(outputs: n, inputs: k, weights: Self.transpose(w.floats, rows: k, columns: n), bias: nil, runtimeFloat32: quantized),
                     inputs: [x.ref], shape: shape)
        } else {
            let w = try constant(0, of: node, what: "weight")
            let x = try computed(1, of: node)
            guard w.shape.count == 2 else { throw error(node, "weight of shape \(w.shape) is not 2-D") }
            let (m, k) = (w.shape[0], w.shape[1])
            let columnVector = x.shape.count == 1 ? x.shape[0] == k : (x.shape.last == 1 && x.shape.reduce(1, *) == k)
            guard columnVector else { throw error(node, "input of shape \(x.shape) is not a column of \(k)") }
            let shape = x.shape.count == 1 ? [m] : Array(x.shape.dropLast(2)) + [m, 1]
            try emit(node, layer: Dense(outputs: m, inputs: k, weights: w.floats, bias: nil, runtimeFloat32: quantized), inputs: [x.ref], shape: shape)
        }
    }

    static func transpose(_ v: [Float], rows: Int, columns: Int) -> [Float] {
        var out = [Float](repeating: 0, count: v.count)
        for r in 0..<rows { for c in 0..<columns { out[c * rows + r] = v[r * columns + c] } }
        return out
    }

    /// The [C, H, W] of a computed [1, C, H, W] tensor.
    func image(_ x: Computed, _ node: Onnx_NodeProto) throws -> [Int] {
        guard x.shape.count == 4, x.shape[0] == 1 else {
            throw error(node, "input of shape \(x.shape) is not a single [1, C, H, W] image (only 2-D operators with batch 1 are supported)")
        }
        return Array(x.shape[1...])
    }

    /// Window attributes of Conv and pooling, with auto_pad resolved.
    func window(_ node: Onnx_NodeProto, kernel: [Int], input: [Int]) throws -> Conv.Window {
        guard kernel.count == 2 else { throw error(node, "only 2-D kernels are supported, got \(kernel)") }
        let strides = ints(node, "strides") ?? [1, 1]
        let dilations = ints(node, "dilations") ?? [1, 1]
        var pads = ints(node, "pads") ?? [0, 0, 0, 0]
        guard strides.count == 2, dilations.count == 2, pads.count == 4, strides.allSatisfy({ $0 > 0 }), dilations.allSatisfy({ $0 > 0 }) else {
            throw error(node, "invalid strides \(strides), dilations \(dilations) or pads \(pads)")
        }
        let autoPad = string(node, "auto_pad", default: "NOTSET")
        switch autoPad {
        case "NOTSET", "": break
        case "VALID": pads = [0, 0, 0, 0]
        case "SAME_UPPER", "SAME_LOWER":
            for d in 0..<2 {
                let out = (input[d + 1] + strides[d] - 1) / strides[d]
                let total = max(0, (out - 1) * strides[d] + dilations[d] * (kernel[d] - 1) + 1 - input[d + 1])
                let small = total / 2, large = total - small
                pads[d] = autoPad == "SAME_UPPER" ? small : large
                pads[d + 2] = autoPad == "SAME_UPPER" ? large : small
            }
        default: throw error(node, "auto_pad '\(autoPad)' is not supported")
        }
        return Conv.Window(kernel: kernel, strides: strides, dilations: dilations, pads: pads,
                           ceilMode: int(node, "ceil_mode", default: 0) == 1)
    }

    mutating func importConv(_ node: Onnx_NodeProto) throws {
        let x = try computed(0, of: node)
        let w = try constant(1, of: node, what: "weight")
        let b = try optionalConstant(2, of: node, what: "bias")
        let chw = try image(x, node)
        guard w.shape.count == 4 else { throw error(node, "weight of shape \(w.shape) is not [M, C/group, kH, kW]") }
        let group = int(node, "group", default: 1)
        guard w.shape[1] * group == chw[0] else {
            throw error(node, "weight of shape \(w.shape) with group \(group) does not match \(chw[0]) input channels")
        }
        let win = try window(node, kernel: ints(node, "kernel_shape") ?? [w.shape[2], w.shape[3]], input: chw)
        let layer = try build(node) {
            try Conv(inputShape: chw, outputChannels: w.shape[0], window: win, group: group, weights: w.floats, bias: b?.floats,
                     runtimeFloat32: quantized)
        }
        try emit(node, layer: layer, inputs: [x.ref], shape: [1] + layer.outputShape)
    }

    mutating func importPool(_ node: Onnx_NodeProto) throws {
        let x = try computed(0, of: node)
        let chw = try image(x, node)
        guard node.output.count == 1 || node.output[1].isEmpty else { throw error(node, "the Indices output is not supported") }
        guard let kernel = ints(node, "kernel_shape") else { throw error(node, "kernel_shape is required") }
        let win = try window(node, kernel: kernel, input: chw)
        if node.opType == "MaxPool" {
            guard int(node, "storage_order", default: 0) == 0 else { throw error(node, "storage_order = 1 is not supported") }
            let layer = try build(node) { try MaxPool(inputShape: chw, window: win) }
            try emit(node, layer: layer, inputs: [x.ref], shape: [1] + layer.outputShape)
        } else {
            let layer = try build(node) {
                try AveragePool(inputShape: chw, window: win, countIncludePad: int(node, "count_include_pad", default: 0) == 1,
                                runtimeFloat32: quantized)
            }
            try emit(node, layer: layer, inputs: [x.ref], shape: [1] + layer.outputShape)
        }
    }

    mutating func importBatchNorm(_ node: Onnx_NodeProto) throws {
        let x = try computed(0, of: node)
        guard x.shape.count >= 2, x.shape[0] == 1 else { throw error(node, "input of shape \(x.shape) is not [1, C, ...]") }
        let params = try ["scale", "B", "mean", "var"].enumerated().map { try constant($0 + 1, of: node, what: $1) }
        let channels = x.shape[1], spatial = x.shape[2...].reduce(1, *)
        guard params.allSatisfy({ $0.count == channels }) else { throw error(node, "parameters do not have \(channels) values") }
        func expand(_ c: ConstantTensor) -> [Float] { c.floats.flatMap { [Float](repeating: $0, count: spatial) } }
        let layer = try build(node) {
            try ScaleShift(batchNorm: expand(params[0]), beta: expand(params[1]), mean: expand(params[2]),
                           variance: expand(params[3]), epsilon: float(node, "epsilon", default: 1e-5))
        }
        try emit(node, layer: layer, inputs: [x.ref], shape: x.shape)
    }

    mutating func importPad(_ node: Onnx_NodeProto) throws {
        let x = try computed(0, of: node)
        let mode = string(node, "mode", default: "constant")
        guard mode == "constant" else { throw error(node, "mode '\(mode)' is not supported (only constant)") }
        let pads: [Int]
        var fill: Float = 0
        if opset < 11 {
            guard let p = ints(node, "pads") else { throw error(node, "pads attribute missing") }
            pads = p
            fill = float(node, "value", default: 0)
        } else {
            pads = try constant(1, of: node, what: "pads").ints
            if let v = try optionalConstant(2, of: node, what: "constant_value") { fill = v.floats.first ?? 0 }
            if node.input.count > 3, !node.input[3].isEmpty { throw error(node, "the axes input is not supported") }
        }
        let layer = try build(node) { try Pad(inputShape: x.shape, pads: pads, value: fill) }
        try emit(node, layer: layer, inputs: [x.ref], shape: layer.outputShape)
    }
}
