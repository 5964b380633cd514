import BitBarrierCore

extension SplitMix64 {
    mutating func floats(_ n: Int, scale: Float = 1) -> [Float] {
        (0..<n).map { _ in Float.random(in: -scale...scale, using: &self) }
    }
}

/// Random small networks covering every layer type, for the sampling soundness tests.
enum TestNetworks {
    static func dense(_ rng: inout SplitMix64, _ n: Int, _ k: Int) -> Dense {
        Dense(outputs: n, inputs: k, weights: rng.floats(n * k, scale: 1 / Float(k).squareRoot() * 1.5), bias: rng.floats(n, scale: 0.3))
    }

    /// Dense, ReLU, Sigmoid, Tanh, ScaleShift (sub/div/mul/add).
    static func mlp(seed: UInt64) -> Network {
        var rng = SplitMix64(seed: seed)
        var nodes: [Node] = []
        func add(_ layer: any Layer, _ op: String, _ size: Int, inputs: [ValueRef]? = nil) {
            let input: [ValueRef] = inputs ?? [nodes.isEmpty ? .input : .node(nodes.count - 1)]
            nodes.append(Node(name: "n\(nodes.count)", opType: op, layer: layer, inputs: input, shape: [1, size]))
        }
        add(try! ScaleShift(.subtract, constant: rng.floats(6, scale: 0.2)), "Sub", 6)
        add(try! ScaleShift(.divide, constant: (0..<6).map { _ in Float.random(in: 0.5...2, using: &rng) }), "Div", 6)
        add(dense(&rng, 12, 6), "Gemm", 12)
        add(ReLU(size: 12), "Relu", 12)
        add(dense(&rng, 10, 12), "Gemm", 10)
        add(Sigmoid(size: 10), "Sigmoid", 10)
        add(dense(&rng, 8, 10), "Gemm", 8)
        add(Tanh(size: 8), "Tanh", 8)
        add(try! ScaleShift(.multiply, constant: rng.floats(8, scale: 2)), "Mul", 8)
        add(try! ScaleShift(.add, constant: rng.floats(8, scale: 1)), "Add", 8)
        add(dense(&rng, 8, 8), "Gemm", 8)
        add(ReLU(size: 8), "Relu", 8)
        add(dense(&rng, 4, 8), "Gemm", 4)
        return Network(name: "mlp", inputName: "x", inputShape: [1, 6], outputName: "y", nodes: nodes, output: nodes.count - 1)
    }

    /// Flatten, then dense layers wide enough (>= 64) for `FirstLayer`'s fused first step.
    static func wide(seed: UInt64) -> Network {
        var rng = SplitMix64(seed: seed)
        let layers: [(any Layer, String, Int)] = [
            (Reshape(size: 100, operatorName: "Flatten"), "Flatten", 100),
            (dense(&rng, 80, 100), "Gemm", 80), (ReLU(size: 80), "Relu", 80),
            (dense(&rng, 64, 80), "Gemm", 64), (ReLU(size: 64), "Relu", 64),
            (dense(&rng, 10, 64), "Gemm", 10),
        ]
        let nodes = layers.enumerated().map { i, l in
            Node(name: "n\(i)", opType: l.1, layer: l.0, inputs: [i == 0 ? .input : .node(i - 1)], shape: [1, l.2])
        }
        return Network(name: "wide", inputName: "x", inputShape: [1, 1, 10, 10], outputName: "y", nodes: nodes, output: nodes.count - 1)
    }

    /// Conv, BatchNorm, ReLU, MaxPool, AveragePool, Pad, Transpose, Reshape, Dense.
    static func convnet(seed: UInt64) throws -> Network {
        var rng = SplitMix64(seed: seed)
        var nodes: [Node] = []
        func add(_ layer: any Layer, _ op: String, _ shape: [Int]) {
            nodes.append(Node(name: "n\(nodes.count)", opType: op, layer: layer,
                              inputs: [nodes.isEmpty ? .input : .node(nodes.count - 1)], shape: shape))
        }
        let w1 = Conv.Window(kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1])
        let conv = try Conv(inputShape: [2, 6, 6], outputChannels: 4, window: w1, group: 2, weights: rng.floats(4 * 1 * 9, scale: 0.6), bias: rng.floats(4, scale: 0.2))
        add(conv, "Conv", [1, 4, 6, 6])
        let c = 4 * 36
        let gamma = (0..<4).map { _ in Float.random(in: 0.5...1.5, using: &rng) }
        func expand(_ v: [Float]) -> [Float] { v.flatMap { [Float](repeating: $0, count: 36) } }
        add(try ScaleShift(batchNorm: expand(gamma), beta: expand(rng.floats(4, scale: 0.2)), mean: expand(rng.floats(4, scale: 0.2)),
                           variance: expand((0..<4).map { _ in Float.random(in: 0.5...2, using: &rng) }), epsilon: 1e-5), "BatchNormalization", [1, 4, 6, 6])
        add(ReLU(size: c), "Relu", [1, 4, 6, 6])
        let mp = try MaxPool(inputShape: [4, 6, 6], window: Conv.Window(kernel: [2, 2], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0]))
        add(mp, "MaxPool", [1, 4, 5, 5])
        let pad = try Pad(inputShape: [1, 4, 5, 5], pads: [0, 0, 1, 0, 0, 0, 0, 1], value: 0.25)
        add(pad, "Pad", [1, 4, 6, 6])
        let ap = try AveragePool(inputShape: [4, 6, 6], window: Conv.Window(kernel: [3, 3], strides: [2, 2], dilations: [1, 1], pads: [1, 1, 1, 1]), countIncludePad: false)
        add(ap, "AveragePool", [1, 4, 3, 3])
        add(try Transpose(inputShape: [1, 4, 3, 3], permutation: [0, 2, 3, 1]), "Transpose", [1, 3, 3, 4])
        add(Reshape(size: 36, operatorName: "Flatten"), "Flatten", [1, 36])
        add(dense(&rng, 10, 36), "Gemm", [1, 10])
        add(ReLU(size: 10), "Relu", [1, 10])
        add(dense(&rng, 3, 10), "Gemm", [1, 3])
        return Network(name: "convnet", inputName: "x", inputShape: [1, 2, 6, 6], outputName: "y", nodes: nodes, output: nodes.count - 1)
    }

    /// A residual network: Sum (add and subtract) and Concat of computed branches.
    static func residual(seed: UInt64) throws -> Network {
        var rng = SplitMix64(seed: seed)
        var nodes: [Node] = []
        func add(_ layer: any Layer, _ op: String, _ size: Int, _ inputs: [ValueRef]) -> ValueRef {
            nodes.append(Node(name: "n\(nodes.count)", opType: op, layer: layer, inputs: inputs, shape: [1, size]))
            return .node(nodes.count - 1)
        }
        let h = add(dense(&rng, 8, 5), "Gemm", 8, [.input])
        let r = add(ReLU(size: 8), "Relu", 8, [h])
        let a = add(dense(&rng, 8, 8), "Gemm", 8, [r])
        let ar = add(ReLU(size: 8), "Relu", 8, [a])
        let s = add(Sum(size: 8), "Add", 8, [ar, r])
        let d = add(Sum(size: 8, subtract: true), "Sub", 8, [s, h])
        let side = add(dense(&rng, 4, 5), "Gemm", 4, [.input])
        let cat = add(try Concat(shapes: [[1, 8], [1, 4]], axis: 1), "Concat", 12, [d, side])
        let rc = add(ReLU(size: 12), "Relu", 12, [cat])
        _ = add(dense(&rng, 3, 12), "Gemm", 3, [rc])
        return Network(name: "residual", inputName: "x", inputShape: [1, 5], outputName: "y", nodes: nodes, output: nodes.count - 1)
    }
}
