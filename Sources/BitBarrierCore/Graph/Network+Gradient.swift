extension Network {
    /// Gradient of `weights . output` with respect to the input at `input` (reverse mode through
    /// every layer's `pullback`). Used by attacks; carries no soundness obligation.
    ///
    /// With `reluLeak` > 0 every ReLU is replaced by the leaky ReLU max(x, leak * x), forward and
    /// backward (the output returned is that network's): inactive neurons then pass gradient, so
    /// a descent can find the inputs that switch them on (``Falsifier``'s continuation descent).
    public func gradient(at input: [Float], outputWeights weights: [Double], reluLeak leak: Float = 0) -> (output: [Float], gradient: [Double]) {
        let values = leak > 0 ? evaluateAll(input, reluLeak: leak) : evaluateAll(input)
        var grads: [[Double]?] = [[Double]?](repeating: nil, count: nodes.count)
        grads[output] = weights
        var inputGradient = [Double](repeating: 0, count: inputSize)
        for i in stride(from: output, through: 0, by: -1) {
            guard let g = grads[i] else { continue }
            let node = nodes[i]
            let args = node.inputs.map { ref -> [Float] in
                switch ref {
                case .input: return input
                case .node(let j): return values[j]
                }
            }
            let parts = leak > 0 && node.layer is ReLU
                ? [g.indices.map { args[0][$0] > 0 ? g[$0] : Double(leak) * g[$0] }]
                : node.layer.pullback(args, gradient: g)
            for (k, ref) in node.inputs.enumerated() {
                switch ref {
                case .input:
                    for j in parts[k].indices { inputGradient[j] += parts[k][j] }
                case .node(let j):
                    if var existing = grads[j] {
                        for t in existing.indices { existing[t] += parts[k][t] }
                        grads[j] = existing
                    } else {
                        grads[j] = parts[k]
                    }
                }
            }
        }
        return (values[output], inputGradient)
    }
}

extension Network {
    /// Every node's value with each ReLU replaced by max(x, leak * x).
    public func evaluateAll(_ input: [Float], reluLeak leak: Float) -> [[Float]] {
        evaluateAll(input) { node, args in node.layer is ReLU ? args[0].map { $0 > 0 ? $0 : leak * $0 } : nil }
    }
}
