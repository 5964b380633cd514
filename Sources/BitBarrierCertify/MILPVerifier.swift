import BitBarrierCore
import BitBarrierLP

/// Complete verification of small ReLU networks by MILP (exact big-M encoding, GLPK's branch
/// and bound), with every counterexample replayed on the concrete model.
///
/// - verified: every margin's MILP minimum is > `margin` (GLPK's integer optimum, computed in
///   floating point with its default tolerances: this verdict trusts GLPK's branch and bound,
///   unlike the LP method, whose every bound is made safe from the dual; Proofs/MILP.md);
/// - falsified: a MILP solution with margin <= 0 whose input, replayed on the float32 model,
///   does not keep the label;
/// - unknown: a MILP minimum <= 0 whose point does not replay (the float32 model disagrees with
///   the real-arithmetic encoding at the decision boundary);
/// - timeout: GLPK's time limit.
public struct MILPVerifier: Sendable {
    public let lp: LPAnalysis
    /// A MILP minimum must exceed this to count as proved (covers GLPK's feasibility tolerance).
    public var margin: Double = 1e-6

    public init(network: Network, options: LPOptions = LPOptions()) {
        lp = LPAnalysis(network: network, options: options)
    }

    public func verify(_ query: RobustnessQuery, epsilon: Double) -> Verdict {
        let network = query.network
        if query.margin(of: network.evaluate(query.center)) <= 0 {
            if let ce = Counterexample.replay(query.center, query: query, epsilon: epsilon) { return .falsified(ce) }
        }
        let box = query.box(epsilon: epsilon)
        let rows = query.marginRows
        do {
            let bounds = try lp.layerBounds(box)
            // Rows already proved by the LP need no MILP.
            let lpLows = lp.crown.lowerBounds(of: rows, at: network.output, box: box, nodes: bounds)
            let encoding = try NetworkLP(network: network, box: box, bounds: bounds, last: network.output, exactReLU: true)
            let outVars = encoding.nodeVariables[network.output]
            var sawTimeout = false
            for r in 0..<rows.rows where !(lpLows[r] > 0) {
                let problem = GLPKProblem(encoding.program)
                var objective = [Double](repeating: 0, count: encoding.program.variableCount)
                for j in 0..<rows.columns { objective[outVars[j]] += rows.values[r * rows.columns + j] }
                problem.setObjective(objective)
                let solution = problem.solveMILP(timeLimit: lp.options.timeLimit)
                switch solution.status {
                case .optimal:
                    if solution.objective > margin { continue }
                    let x = query.project(encoding.inputVariables.map { solution.primal[$0] }, epsilon: epsilon)
                    if let ce = Counterexample.replay(x, query: query, epsilon: epsilon) { return .falsified(ce) }
                    return .unknown("MILP minimum \(solution.objective) <= 0, but its point keeps the label on the float32 model")
                case .infeasible:
                    return .error("MILP infeasible: the encoding excludes the input itself")
                case .timeLimit:
                    sawTimeout = true
                    if solution.objective.isFinite, solution.objective <= 0 {
                        let x = query.project(encoding.inputVariables.map { solution.primal[$0] }, epsilon: epsilon)
                        if let ce = Counterexample.replay(x, query: query, epsilon: epsilon) { return .falsified(ce) }
                    }
                default:
                    return .unknown("MILP solve ended with \(solution.status)")
                }
            }
            return sawTimeout ? .timeout : .verified
        } catch {
            return .error("\(error)")
        }
    }

    /// The exact radius bracket: the largest eps proved and the smallest eps falsified (with
    /// its replayed counterexample), by bisection on [0, maximum] to relative `tolerance`.
    public func radiusBracket(_ query: RobustnessQuery, maximum: Double, tolerance: Double = 1e-3) -> (proved: Double, falsified: Counterexample?) {
        if query.margin(of: query.network.evaluate(query.center)) <= 0 {
            return (0, Counterexample.replay(query.center, query: query, epsilon: 0))
        }
        var proved = 0.0
        var falsified: Counterexample? = nil
        var high = maximum
        switch verify(query, epsilon: maximum) {
        case .verified: return (maximum, nil)
        case .falsified(let ce): falsified = ce; high = ce.distance
        default: break
        }
        while high - proved > tolerance * max(proved, 1e-6) {
            let mid = 0.5 * (proved + high)
            switch verify(query, epsilon: mid) {
            case .verified: proved = mid
            case .falsified(let ce):
                falsified = ce
                high = min(mid, ce.distance)
            default:
                high = mid  // unknown or timeout: not proved; the bracket's upper end stays the falsified one
            }
        }
        return (proved, falsified)
    }
}
