import BitBarrierCore
import Foundation

/// Options of the LP and MILP methods.
public struct LPOptions: Sendable {
    /// At most this many neurons per layer are re-bounded by LP (the most unstable first).
    public var maxNeuronsPerLayer: Int
    /// Time budget for one LP or MILP, seconds.
    public var timeLimit: Double
    /// Whether to re-bound intermediate neurons at all (otherwise only the margins by LP).
    public var tightenIntermediate: Bool

    public init(maxNeuronsPerLayer: Int = 10_000, timeLimit: Double = 30, tightenIntermediate: Bool = true) {
        self.maxNeuronsPerLayer = maxNeuronsPerLayer
        self.timeLimit = timeLimit
        self.tightenIntermediate = tightenIntermediate
    }
}

/// LP-tightened bounds: CROWN first, then each layer's unstable neurons re-bounded by LP (min and
/// max), layer by layer, feeding tighter bounds forward; then the specification rows by LP.
/// Every LP result becomes a bound only through `SafeBound` (the dual), never GLPK's optimum,
/// and is intersected with the bound it started from (never looser than CROWN).
public struct LPAnalysis: Sendable {
    public let crown: BoundAnalysis
    public let options: LPOptions

    public init(network: Network, options: LPOptions = LPOptions()) {
        crown = BoundAnalysis(network: network)
        self.options = options
    }

    var network: Network { crown.network }

    /// Sound bounds of every node, LP-tightened.
    public func layerBounds(_ box: Bounds) throws -> [Bounds] {
        var bounds = crown.layerBounds(box, intermediate: .crown)
        guard options.tightenIntermediate else { return bounds }
        for k in network.nodes.indices {
            guard crown.feedsReLU[k], !crown.isAffineImageOfInput(k) else { continue }
            let b = bounds[k]
            var unstable = (0..<b.count).filter { b.lower[$0] < 0 && b.upper[$0] > 0 }
            guard !unstable.isEmpty else { continue }
            unstable.sort { min(-b.lower[$0], b.upper[$0]) > min(-b.lower[$1], b.upper[$1]) }
            let encoding = try NetworkLP(network: network, box: box, bounds: bounds, last: k)
            let problem = GLPKProblem(encoding.program)
            var tightened = b
            var objective = [Double](repeating: 0, count: encoding.program.variableCount)
            for j in unstable.prefix(options.maxNeuronsPerLayer) {
                let v = encoding.nodeVariables[k][j]
                for sign in [1.0, -1.0] {
                    objective[v] = sign
                    problem.setObjective(objective)
                    let solution = problem.solveLP(timeLimit: options.timeLimit)
                    if solution.status == .optimal {
                        let safe = SafeBound.lowerBound(encoding.program, objective: objective, duals: solution.rowDuals)
                        if sign > 0 { tightened.lower[j] = max(tightened.lower[j], safe) } else { tightened.upper[j] = min(tightened.upper[j], -safe) }
                    }
                    objective[v] = 0
                }
            }
            bounds[k] = tightened
            // Later nodes: IBP from the tightened bounds, intersected with what CROWN had.
            for i in (k + 1)..<network.nodes.count {
                let n = network.nodes[i]
                let ins = n.inputs.map { ref -> Bounds in
                    switch ref {
                    case .input: return box
                    case .node(let j): return bounds[j]
                    }
                }
                bounds[i] = bounds[i].intersected(with: n.layer.propagate(ins))
            }
        }
        return bounds
    }

    /// Sound lower bounds of rows . output: LP over the tightened encoding, each through its dual.
    public func outputLowerBounds(_ rows: LinearRows, box: Bounds) throws -> [Double] {
        let bounds = try layerBounds(box)
        let start = crown.lowerBounds(of: rows, at: network.output, box: box, nodes: bounds)
        let encoding = try NetworkLP(network: network, box: box, bounds: bounds, last: network.output)
        let problem = GLPKProblem(encoding.program)
        let outVars = encoding.nodeVariables[network.output]
        var result = start
        for r in 0..<rows.rows {
            var objective = [Double](repeating: 0, count: encoding.program.variableCount)
            for j in 0..<rows.columns { objective[outVars[j]] += rows.values[r * rows.columns + j] }
            problem.setObjective(objective)
            let solution = problem.solveLP(timeLimit: options.timeLimit)
            if solution.status == .optimal {
                result[r] = max(result[r], SafeBound.lowerBound(encoding.program, objective: objective, duals: solution.rowDuals))
            }
        }
        return result
    }
}
