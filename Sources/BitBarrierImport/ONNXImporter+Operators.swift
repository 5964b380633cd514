import BitBarrierCore
import ONNXProto

extension ONNXImporter {
    /// The one dispatch point from ONNX `op_type` to a layer (or a folded constant).
    ///
    /// - Throws: `ImportError` naming the node and its operator for an unsupported operator,
    ///   attribute or input combination.
    mutating func importNode(_ node: Onnx_NodeProto, index: Int) throws {
        if continuesDynamicPattern(node) { return try importDynamicPattern(node) }
        if node.domain == "com.microsoft" {
            switch node.opType {
            case "QGemm": return try importIntegerGemm(node)
            case "QLinearAveragePool": return try importQLinearAveragePool(node)
            case "QLinearAdd": return try importQLinearAdd(node)
            default: throw error(node, "operator '\(node.domain).\(node.opType)' is not supported")
            }
        }
        guard node.domain.isEmpty || node.domain == "ai.onnx" else {
            throw error(node, "operator '\(node.domain).\(node.opType)' is not supported")
        }
        switch node.opType {
        case "Constant":
            guard let a = attribute(node, "value") else { throw error(node, "only the 'value' attribute form is supported") }
            try setConstant(node, ConstantTensor(a.t, file: file, node: nodeName(node)))
        case "Identity", "Dropout":
            guard let out = node.output.first else { throw error(node, "has no output") }
            values[out] = try value(node.input[0], of: node)
        case "Flatten", "Reshape", "Squeeze", "Unsqueeze":
            try importReshape(node)
        case "Shape", "Gather", "Cast":
            try importShapeArithmetic(node)
        case "Transpose":
            if case .constant = try value(node.input[0], of: node) { throw error(node, "Transpose of a constant is not supported") }
            let x = try computed(0, of: node)
            let perm = ints(node, "perm") ?? Array((0..<x.shape.count).reversed())
            let layer = try build(node) { try Transpose(inputShape: x.shape, permutation: perm) }
            try emit(node, layer: layer, inputs: [x.ref], shape: perm.map { x.shape[$0] })
        case "Gemm":
            try importGemm(node)
        case "MatMul":
            try importMatMul(node)
        case "Add", "Sub", "Mul", "Div":
            try importArithmetic(node)
        case "Relu", "Sigmoid", "Tanh":
            let x = try computed(0, of: node)
            let n = x.shape.reduce(1, *)
            let layer: any Layer
            switch node.opType {
            case "Relu": layer = ReLU(size: n)
            case "Sigmoid": layer = Sigmoid(size: n)
            default: layer = Tanh(size: n)
            }
            try emit(node, layer: layer, inputs: [x.ref], shape: x.shape)
        case "Conv":
            try importConv(node)
        case "AveragePool", "MaxPool":
            try importPool(node)
        case "BatchNormalization":
            try importBatchNorm(node)
        case "Concat":
            try importConcat(node)
        case "Pad":
            try importPad(node)
        case "QuantizeLinear", "DequantizeLinear":
            try importQuantization(node)
        case "QLinearMatMul":
            try importIntegerGemm(node)
        case "QLinearConv":
            try importQLinearConv(node)
        case "DynamicQuantizeLinear":
            try importDynamicQuantizeLinear(node)
        case "MatMulInteger", "ConvInteger":
            throw error(node, "\(node.opType) is supported only on the output of DynamicQuantizeLinear (quantize_dynamic's pattern)")
        default:
            throw error(node, "operator '\(node.opType)' is not supported")
        }
    }

    /// Runs a layer constructor, turning its `LayerError` into an `ImportError` for this node.
    func build<L>(_ node: Onnx_NodeProto, _ make: () throws -> L) throws -> L {
        do { return try make() } catch let e as LayerError { throw error(node, e.description) }
    }

    /// Numpy broadcasting of two shapes, or nil if incompatible.
    static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let r = max(a.count, b.count)
        let pa = [Int](repeating: 1, count: r - a.count) + a
        let pb = [Int](repeating: 1, count: r - b.count) + b
        var out: [Int] = []
        for i in 0..<r {
            if pa[i] == pb[i] || pb[i] == 1 { out.append(pa[i]) } else if pa[i] == 1 { out.append(pb[i]) } else { return nil }
        }
        return out
    }

    /// Expands a constant to `shape` by numpy broadcasting.
    static func broadcast(_ c: ConstantTensor, to shape: [Int]) -> [Double] {
        let r = shape.count
        let cs = [Int](repeating: 1, count: r - c.shape.count) + c.shape
        var cStrides = [Int](repeating: 0, count: r)
        var s = 1
        for d in stride(from: r - 1, through: 0, by: -1) {
            cStrides[d] = cs[d] == 1 ? 0 : s
            s *= cs[d]
        }
        let total = shape.reduce(1, *)
        var out = [Double](repeating: 0, count: total)
        var idx = [Int](repeating: 0, count: r)
        for o in 0..<total {
            var rem = o, src = 0
            for d in stride(from: r - 1, through: 0, by: -1) {
                idx[d] = rem % shape[d]; rem /= shape[d]
                src += idx[d] * cStrides[d]
            }
            out[o] = c.values.isEmpty ? 0 : c.values[src]
        }
        return out
    }

    mutating func importArithmetic(_ node: Onnx_NodeProto) throws {
        let a = try value(node.input[0], of: node), b = try value(node.input[1], of: node)
        switch (a, b) {
        case (.constant(let x), .constant(let y)):
            guard let shape = Self.broadcastShape(x.shape, y.shape) else { throw error(node, "shapes \(x.shape) and \(y.shape) do not broadcast") }
            let xv = Self.broadcast(x, to: shape), yv = Self.broadcast(y, to: shape)
            let f: (Double, Double) -> Double
            switch node.opType {
            case "Add": f = (+)
            case "Sub": f = (-)
            case "Mul": f = (*)
            default: f = x.isInteger && y.isInteger ? { ($0 / $1).rounded(.towardZero) } : (/)
            }
            var r = (0..<xv.count).map { f(xv[$0], yv[$0]) }
            if !(x.isInteger && y.isInteger) { r = r.map { Double(Float($0)) } }
            try setConstant(node, ConstantTensor(shape: shape, values: r, isInteger: x.isInteger && y.isInteger))
        case (.computed(let x), .computed(let y)):
            guard node.opType == "Add" || node.opType == "Sub" else {
                throw error(node, "\(node.opType) of two computed tensors is not supported (only Add and Sub)")
            }
            guard x.shape.reduce(1, *) == y.shape.reduce(1, *), Self.broadcastShape(x.shape, y.shape) != nil else {
                throw error(node, "adding computed tensors of shapes \(x.shape) and \(y.shape) (broadcasting between computed tensors is not supported)")
            }
            try emit(node, layer: Sum(size: x.shape.reduce(1, *), subtract: node.opType == "Sub"), inputs: [x.ref, y.ref], shape: x.shape)
        case (.computed(let x), .constant(let c)), (.constant(let c), .computed(let x)):
            let constantFirst: Bool
            if case .constant = a { constantFirst = true } else { constantFirst = false }
            if let bad = c.firstNonFinite { throw error(node, "constant contains \(c.values[bad]) at index \(bad)") }
            guard let shape = Self.broadcastShape(x.shape, c.shape), shape.reduce(1, *) == x.shape.reduce(1, *) else {
                throw error(node, "constant of shape \(c.shape) would broadcast the computed tensor of shape \(x.shape)")
            }
            let values = Self.broadcast(c, to: shape).map { Float($0) }
            let op: ScaleShift.Operation
            switch node.opType {
            case "Add": op = .add
            case "Sub": op = constantFirst ? .subtractFrom : .subtract
            case "Mul": op = .multiply
            default:
                guard !constantFirst else { throw error(node, "division of a constant by a computed tensor is not supported") }
                op = .divide
            }
            let layer = try build(node) { try ScaleShift(op, constant: values, runtimeRelativeError: quantized ? 0x1p-24 : 0) }
            try emit(node, layer: layer, inputs: [x.ref], shape: shape)
        }
    }

    mutating func importConcat(_ node: Onnx_NodeProto) throws {
        let parts = try node.input.map { try value($0, of: node) }
        let rank: Int
        switch parts.first {
        case .constant(let c)?: rank = c.shape.count
        case .computed(let c)?: rank = c.shape.count
        case nil: throw error(node, "has no inputs")
        }
        let ax = try axis(int(node, "axis", default: 0), rank: rank, node)
        if parts.allSatisfy({ if case .constant = $0 { return true } else { return false } }) {
            let cs = parts.map { p -> ConstantTensor in if case .constant(let c) = p { return c }; fatalError() }
            // Constant concat (shape arithmetic); along axis 0 of 1-D tensors in practice.
            let outer = cs[0].shape[..<ax].reduce(1, *)
            var vals: [Double] = []
            for o in 0..<outer {
                for c in cs {
                    let chunk = c.shape[ax...].reduce(1, *)
                    vals += c.values[(o * chunk)..<((o + 1) * chunk)]
                }
            }
            var shape = cs[0].shape
            shape[ax] = cs.reduce(0) { $0 + $1.shape[ax] }
            try setConstant(node, ConstantTensor(shape: shape, values: vals, isInteger: cs.allSatisfy(\.isInteger)))
            return
        }
        let comps = try parts.enumerated().map { i, p -> Computed in
            guard case .computed(let c) = p else { throw error(node, "Concat of a constant with computed tensors is not supported (input \(i))") }
            return c
        }
        let layer = try build(node) { try Concat(shapes: comps.map(\.shape), axis: ax) }
        var shape = comps[0].shape
        shape[ax] = comps.reduce(0) { $0 + $1.shape[ax] }
        try emit(node, layer: layer, inputs: comps.map(\.ref), shape: shape)
    }
}
