import BitBarrierCore
import BitBarrierData

/// Checks a VNN-LIB property with sound bounds: `verified` when no input of any box can reach
/// its unsafe outputs, otherwise `unknown` (bounds alone never falsify; the complete `verify`
/// command with branch and bound and replayed witnesses is issue 7).
///
/// A conjunction "c . y + d <= 0 for every constraint" is excluded on a box when some
/// constraint's sound lower bound of c . y + d is > 0 there.
public struct PropertyVerifier: Sendable {
    public let analysis: BoundAnalysis
    public let method: BoundMethod

    public init(network: Network, method: BoundMethod) {
        self.analysis = BoundAnalysis(network: network)
        self.method = method
    }

    public func verify(_ spec: VNNLibSpec) -> Verdict {
        let network = analysis.network
        guard spec.inputCount == network.inputSize, spec.outputCount == network.outputSize else {
            return .error("the property has \(spec.inputCount) inputs and \(spec.outputCount) outputs; the model \(network.inputSize) and \(network.outputSize)")
        }
        var proved = true
        for c in spec.cases {
            let constraints = c.outputDisjuncts.flatMap { $0 }
            guard !constraints.isEmpty else { proved = false; continue }
            var rows = LinearRows(zeros: constraints.count, columns: spec.outputCount)
            for (r, con) in constraints.enumerated() {
                for j in 0..<spec.outputCount { rows.values[r * spec.outputCount + j] = con.coefficients[j] }
            }
            let lows = analysis.outputLowerBounds(rows, box: Bounds(lower: c.lower, upper: c.upper), method: method)
            var r = 0
            for conj in c.outputDisjuncts {
                var excluded = false
                for con in conj {
                    // lower(c . y) + d > 0, with the addition rounded down.
                    if (lows[r] + con.constant).nextDown > 0 { excluded = true }
                    r += 1
                }
                if !excluded { proved = false }
            }
        }
        return proved ? .verified : .unknown("bounds do not exclude every unsafe output region")
    }
}
