import BitBarrierCore
import BitBarrierLP

/// How robustness is proved.
public enum CertificationMethod: Sendable {
    /// Bounds by IBP or CROWN.
    case bounds(BoundMethod)
    /// CROWN, then LP-tightened bounds made safe from the dual (GLPK).
    case lp(LPOptions)
    /// Exact answers by MILP (GLPK) with replayed counterexamples.
    case milp(LPOptions)
}

/// Proves robustness at a radius with sound bounds, and finds the largest radius it can prove.
public struct Certifier: Sendable {
    public let method: CertificationMethod
    public let analysis: BoundAnalysis

    public init(network: Network, method: BoundMethod) {
        self.init(network: network, method: .bounds(method))
    }

    public init(network: Network, method: CertificationMethod) {
        self.method = method
        self.analysis = BoundAnalysis(network: network)
    }

    /// Sound lower bounds of logit_label - logit_j (j != label) over the ball (IBP, CROWN or LP;
    /// for MILP, the LP bounds it starts from).
    public func marginLowerBounds(_ query: RobustnessQuery, epsilon: Double) throws -> [Double] {
        let box = query.box(epsilon: epsilon)
        switch method {
        case .bounds(let m): return analysis.outputLowerBounds(query.marginRows, box: box, method: m)
        case .lp(let o), .milp(let o): return try LPAnalysis(network: query.network, options: o).outputLowerBounds(query.marginRows, box: box)
        }
    }

    /// Verified when every margin's sound lower bound is strictly positive; otherwise unknown
    /// (bounds alone never falsify). MILP answers exactly (see `MILPVerifier`).
    public func verify(_ query: RobustnessQuery, epsilon: Double) -> Verdict {
        if case .milp(let o) = method { return MILPVerifier(network: query.network, options: o).verify(query, epsilon: epsilon) }
        let lows: [Double]
        do {
            lows = try marginLowerBounds(query, epsilon: epsilon)
        } catch {
            return .error("\(error)")
        }
        if lows.allSatisfy({ $0 > 0 }) { return .verified }
        if lows.contains(where: { $0.isNaN }) { return .error("bounds are NaN") }
        return .unknown("margin lower bound \(lows.min() ?? .nan) <= 0")
    }

    /// The largest eps in [0, maximum] at which `verify` succeeds, found by bisection to relative
    /// tolerance `tolerance`; the returned value is always one at which verification succeeded
    /// (0 if the input is misclassified or no positive radius is proved).
    ///
    /// Bisection assumes monotonicity (a larger ball is harder); where the method is not
    /// monotone the answer is still a verified radius, possibly not the largest.
    public func certifiedRadius(_ query: RobustnessQuery, maximum: Double, tolerance: Double = 1e-3,
                                startingAt lowerHint: Double = 0) -> Double {
        let y = query.network.evaluate(query.center)
        guard query.margin(of: y) > 0 else { return 0 }
        if verify(query, epsilon: maximum).isVerified { return maximum }
        var proved = 0.0
        var failed = maximum
        if lowerHint > 0 && lowerHint < maximum && verify(query, epsilon: lowerHint).isVerified { proved = lowerHint }
        // Bracket geometrically first: radii span orders of magnitude.
        var probe = proved > 0 ? proved * 2 : maximum / 64
        while probe < failed && (failed - proved) > tolerance * max(proved, 1e-7) {
            if verify(query, epsilon: probe).isVerified {
                proved = probe
                probe *= 2
            } else {
                failed = probe
                break
            }
        }
        while (failed - proved) > tolerance * max(proved, 1e-7) && failed - proved > 1e-9 {
            let mid = proved > 0 ? (proved * failed).squareRoot() : failed / 8
            let m = (mid > proved && mid < failed) ? mid : 0.5 * (proved + failed)
            if verify(query, epsilon: m).isVerified { proved = m } else { failed = m }
        }
        return proved
    }
}
