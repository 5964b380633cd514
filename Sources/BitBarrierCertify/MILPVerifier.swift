import BitBarrierCore
import BitBarrierData
import BitBarrierLP

/// Complete verification, with every counterexample replayed on the concrete model.
///
/// FP32 networks whose nonlinearities are all ReLUs (`ReLUBranchAndBound.applies`) are searched
/// by ReLU-splitting branch and bound: CROWN and LP bounds on sub-domains, every bound made
/// safe through the dual, so `verified` trusts no solver's floating-point optimum. Other
/// networks (quantizers, which that search cannot split) go to a MILP: exact big-M encoding of
/// ReLUs and exact integer encoding of quantizers, solved by GLPK's branch and bound, so on int8
/// models the answer is the int8 model's own.
///
/// For the MILP route:
/// - verified: for every margin row, the MILP "encoding and margin <= `margin`" is infeasible
///   (GLPK's branch and bound, in floating point with its default tolerances: this verdict
///   trusts GLPK, unlike the LP method, whose every bound is made safe from the dual;
///   Proofs/MILP.md);
/// - falsified: a PGD point or a MILP solution whose input, replayed on the float32 model, does
///   not keep the label;
/// - unknown: MILP points with margin <= `margin` that do not replay (the model disagrees with
///   the encoding at the decision boundary: ties, float32 bands);
/// - timeout: GLPK's time limit.
public struct MILPVerifier: Sendable {
    public let lp: LPAnalysis
    /// A MILP minimum must exceed this to count as proved (covers GLPK's feasibility tolerance).
    public var margin: Double = 1e-6
    /// Whether FP32 ReLU networks are searched by ReLU splitting (sound, faster) rather than by
    /// GLPK's MILP branch and bound; false only to compare the two.
    public var splitReLUs = true

    public init(network: Network, options: LPOptions = LPOptions()) {
        lp = LPAnalysis(network: network, options: options)
    }

    public func verify(_ query: RobustnessQuery, epsilon: Double) -> Verdict {
        let network = query.network
        if query.margin(of: network.evaluate(query.center)) <= 0 {
            if let ce = Counterexample.replay(query.center, query: query, epsilon: epsilon) { return .falsified(ce) }
        }
        // A short attack first: a replayed counterexample ends the question without a MILP.
        if let ce = PGDAttack(steps: 20, restarts: 1).attack(query, epsilon: epsilon) { return .falsified(ce) }
        if splitReLUs && ReLUBranchAndBound.applies(to: network) { return verifyBySplitting(query, epsilon: epsilon) }
        let box = query.box(epsilon: epsilon)
        let rows = query.marginRows
        do {
            let bounds = try lp.layerBounds(box)
            // Rows already proved by the LP need no MILP.
            let lpLows = lp.crown.lowerBounds(of: rows, at: network.output, box: box, nodes: bounds)
            let encoding = try NetworkLP(network: network, box: box, bounds: bounds, last: network.output, exact: true)
            let outVars = encoding.nodeVariables[network.output]
            var sawTimeout = false
            for r in 0..<rows.rows where !(lpLows[r] > 0) {
                var coefficient = [Int: Double]()
                for j in 0..<rows.columns where rows.values[r * rows.columns + j] != 0 {
                    coefficient[outVars[j], default: 0] += rows.values[r * rows.columns + j]
                }
                let columns = coefficient.keys.sorted()
                // Feasibility form: is there a point of the encoding with margin <= `margin`?
                // Infeasible proves the row; branch and bound prunes every node whose
                // relaxation is above the cut, and stops at the first point below it.
                var program = encoding.program
                program.addRow(columns: columns, coefficients: columns.map { coefficient[$0]! }, upper: margin)
                let solution = GLPKProblem(program).solveMILP(timeLimit: lp.options.timeLimit)
                switch solution.status {
                case .infeasible:
                    continue
                case .optimal:
                    let x = query.project(encoding.inputVariables.map { solution.primal[$0] }, epsilon: epsilon)
                    if let ce = Counterexample.replay(x, query: query, epsilon: epsilon) { return .falsified(ce) }
                    // A point of the encoding (ties, float32 bands) that the model does not
                    // follow: look for the encoding's worst point instead.
                    let problem = GLPKProblem(program)
                    var objective = [Double](repeating: 0, count: program.variableCount)
                    for j in columns { objective[j] = coefficient[j]! }
                    problem.setObjective(objective)
                    let worst = problem.solveMILP(timeLimit: lp.options.timeLimit)
                    if worst.status == .optimal || worst.status == .timeLimit, worst.objective.isFinite {
                        let y = query.project(encoding.inputVariables.map { worst.primal[$0] }, epsilon: epsilon)
                        if let ce = Counterexample.replay(y, query: query, epsilon: epsilon) { return .falsified(ce) }
                    }
                    return .unknown("the MILP has a point with margin <= \(margin), but it does not replay on the concrete model")
                case .timeLimit:
                    sawTimeout = true
                default:
                    return .unknown("MILP solve ended with \(solution.status)")
                }
            }
            return sawTimeout ? .timeout : .verified
        } catch {
            return .error("\(error)")
        }
    }

    /// "Some margin <= 0 in the ball" as a VNN-LIB property, searched by ReLU splitting within
    /// the time limit (one worker: certification already runs inputs in parallel).
    func verifyBySplitting(_ query: RobustnessQuery, epsilon: Double) -> Verdict {
        let network = query.network, box = query.box(epsilon: epsilon)
        let classes = network.outputSize
        let disjuncts = (0..<classes).filter { $0 != query.label }.map { j -> [OutputConstraint] in
            var c = [Double](repeating: 0, count: classes)
            c[query.label] = 1
            c[j] = -1
            return [OutputConstraint(coefficients: c, constant: 0)]
        }
        let spec = VNNLibSpec(inputCount: box.count, outputCount: classes,
                              cases: [VNNLibCase(lower: box.lower, upper: box.upper, outputDisjuncts: disjuncts)])
        var search = ReLUBranchAndBound(network: network, spec: spec)
        search.lpTimeLimit = min(search.lpTimeLimit, lp.options.timeLimit)
        let deadline = ContinuousClock.now + .milliseconds(Int64(lp.options.timeLimit * 1000))
        switch search.run(deadline: deadline, workers: 1).0 {
        case .proved:
            return .verified
        case .counterexample(let w):
            if let ce = Counterexample.replay(w.input, query: query, epsilon: epsilon) { return .falsified(ce) }
            return .unknown("a point of the ball with margin <= 0 for the property does not replay as a counterexample")
        case .timeout:
            return .timeout
        case .unresolved(let why):
            return .unknown(why)
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
