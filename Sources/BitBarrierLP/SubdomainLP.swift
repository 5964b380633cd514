import BitBarrierCore


/// One LP relaxation of a network over an input box, re-bounded for each ReLU branch-and-bound
/// sub-domain and warm-started from its parent's basis.
///
/// It is built once from the root's node bounds (``NetworkLP``: exact affine rows, the triangle
/// of every ReLU neuron unstable at the root). A sub-domain's bounds are tighter (children
/// intersect their parent's), so the same rows still describe it: ``update(bounds:)`` sets every
/// node variable's bounds to the sub-domain's (a split neuron's sign becomes a variable bound)
/// and re-slopes each triangle's upper line from its tighter input bounds with
/// `ReLU.relaxation` (a neuron now stable gets slope 1 and intercept 0, or the line y <= 0).
/// Affine rows keep the root's slack, which covers any narrower bounds. Every bound reported
/// goes through ``SafeBound`` on the program as it stands. Not thread-safe: one per worker.
public final class SubdomainLP {
    public let network: Network
    public let encoding: NetworkLP
    let problem: GLPKProblem
    let relus: [Int: ReLU]

    public init(network: Network, box: Bounds, rootBounds: [Bounds]) throws {
        self.network = network
        encoding = try NetworkLP(network: network, box: box, bounds: rootBounds, last: network.output)
        problem = GLPKProblem(encoding.program)
        var relus: [Int: ReLU] = [:]
        for t in encoding.triangles where relus[t.node] == nil {
            if let r = network.nodes[t.node].layer as? ReLU { relus[t.node] = r }
        }
        self.relus = relus
    }

    /// Sets the program to the sub-domain with these node bounds (each within the root's).
    public func update(bounds: [Bounds]) {
        for (k, vars) in encoding.nodeVariables.enumerated() where k < bounds.count {
            let b = bounds[k]
            guard b.count == vars.count else { continue }
            for (i, v) in vars.enumerated() {
                let l = max(b.lower[i], encoding.program.lower[v]), u = min(b.upper[i], encoding.program.upper[v])
                // Bounds that cross mean an empty sub-domain; the caller never asks (clamping
                // detects it first), and GLPK would reject them.
                guard l <= u else { continue }
                if problem.program.lower[v] != l || problem.program.upper[v] != u { problem.setBounds(v, lower: l, upper: u) }
            }
        }
        var slopes: [Int: ElementwiseRelaxation] = [:]
        for t in encoding.triangles {
            guard case .node(let pre) = network.nodes[t.node].inputs[0], let relu = relus[t.node] else { continue }
            if slopes[t.node] == nil { slopes[t.node] = relu.relaxation(bounds[pre]) }
            let r = slopes[t.node]!
            let s = r.upperSlope[t.neuron], c = r.upperIntercept[t.neuron]
            let row = problem.program.rows[t.upperRow]
            if row.coefficients[1] != -s || row.upper != c {
                problem.setRow(t.upperRow, coefficients: [1, -s], lower: -.infinity, upper: c)
            }
        }
    }

    /// The outcome of one bound.
    public enum Result {
        /// A sound lower bound of `c . output`, and GLPK's optimal input (a candidate witness).
        case bound(Double, input: [Double])
        /// The sub-domain's program is proved infeasible (``SafeBound/provesInfeasible(_:timeLimit:limit:)``).
        case infeasible
        /// GLPK did not finish or the infeasibility could not be proved.
        case failed
    }

    /// Minimises `c . output` over the current program, warm-started from the current basis:
    /// by the dual simplex when `c` is the objective that basis was optimal for (only bounds
    /// changed: the basis stays dual feasible), else by the primal one.
    public func lowerBound(output c: [Double], timeLimit: Double, sameObjective: Bool) -> Result {
        var objective = [Double](repeating: 0, count: problem.program.variableCount)
        let out = encoding.nodeVariables[network.output]
        for j in c.indices { objective[out[j]] += c[j] }
        problem.setObjective(objective)
        let solution = problem.solveLP(timeLimit: timeLimit, dual: sameObjective)
        switch solution.status {
        case .optimal:
            let safe = SafeBound.lowerBound(problem.program, objective: objective, duals: solution.rowDuals)
            return .bound(safe, input: encoding.inputVariables.map { solution.primal[$0] })
        case .infeasible:
            return SafeBound.provesInfeasible(problem.program, timeLimit: timeLimit) ? .infeasible : .failed
        default:
            return .failed
        }
    }

    public var basis: GLPKProblem.Basis { problem.basis }
    public func setBasis(_ b: GLPKProblem.Basis) { problem.setBasis(b) }
}
