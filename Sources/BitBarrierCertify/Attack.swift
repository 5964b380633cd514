import BitBarrierCore

/// Projected gradient descent on the margin, with random restarts (Madry et al. 2018).
///
/// Gradients flow through the layers' own `pullback`. Every candidate is replayed on the
/// concrete network before it is returned, so a returned counterexample is real; a failed
/// attack proves nothing.
public struct PGDAttack: Sendable {
    public var steps: Int
    public var restarts: Int
    public var seed: UInt64

    public init(steps: Int = 40, restarts: Int = 3, seed: UInt64 = 0) {
        self.steps = steps
        self.restarts = restarts
        self.seed = seed
    }

    /// Searches the eps-ball for an input that does not keep the label.
    public func attack(_ query: RobustnessQuery, epsilon: Double) -> Counterexample? {
        let n = query.center.count
        var rng = SplitMix64(seed: seed ^ UInt64(query.label &* 7919) ^ UInt64(bitPattern: Int64(epsilon.bitPattern)))
        let lo = (0..<n).map { i in max(Double(query.center[i]) - epsilon, query.domainLower?[i] ?? -.infinity) }
        let hi = (0..<n).map { i in min(Double(query.center[i]) + epsilon, query.domainUpper?[i] ?? .infinity) }
        for restart in 0...restarts {
            var x = restart == 0 ? query.center : query.project((0..<n).map { lo[$0] + rng.unit() * (hi[$0] - lo[$0]) }, epsilon: epsilon)
            for step in 0..<steps {
                // Target the currently strongest competitor.
                let y = query.network.evaluate(x)
                if let ce = Counterexample.replay(x, query: query, epsilon: epsilon) { return ce }
                var target = query.label == 0 ? 1 : 0
                for j in y.indices where j != query.label && y[j] > y[target] { target = j }
                var w = [Double](repeating: 0, count: y.count)
                w[query.label] = 1
                w[target] = -1
                let g = query.network.gradient(at: x, outputWeights: w).gradient
                let alpha = epsilon * (step < steps / 2 ? 0.25 : 0.08)
                x = query.project((0..<n).map { Double(x[$0]) - (g[$0] == 0 ? 0 : alpha * (g[$0] > 0 ? 1 : -1)) }, epsilon: epsilon)
            }
            if let ce = Counterexample.replay(x, query: query, epsilon: epsilon) { return ce }
        }
        return nil
    }

    /// The smallest radius in (lower, maximum] at which the attack finds a counterexample, by
    /// bisection; returns the replayed counterexample (its distance is the attack radius).
    public func attackRadius(_ query: RobustnessQuery, lower: Double, maximum: Double, tolerance: Double = 1e-2) -> Counterexample? {
        if query.margin(of: query.network.evaluate(query.center)) <= 0 {
            return Counterexample.replay(query.center, query: query, epsilon: 0)
        }
        guard var best = attack(query, epsilon: maximum) else { return nil }
        var lo = lower
        var hi = best.distance
        while hi - lo > tolerance * hi {
            let mid = 0.5 * (lo + hi)
            if let ce = attack(query, epsilon: mid) {
                best = ce
                hi = ce.distance
            } else {
                lo = mid
            }
        }
        return best
    }
}
