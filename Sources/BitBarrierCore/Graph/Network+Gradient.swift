extension Network {
    /// Gradient of `weights . output` with respect to the input at `input` (reverse mode through
    /// every layer's `pullback`). Used by attacks; carries no soundness obligation.
    public func gradient(at input: [Float], outputWeights weights: [Double]) -> (output: [Float], gradient: [Double]) {
        let values = evaluateAll(input)
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
            let parts = node.layer.pullback(args, gradient: g)
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
