import BitBarrierCore

/// The linear program that asks whether linear lower bounds `L_k(x) = a_k . x + b_k` of a
/// conjunction's constraints can all be <= 0 at one point of a box:
///
///     minimise s  subject to  a_k . x - s <= -b_k (every k),  x in the box.
///
/// By duality its optimum is `max over weights w in the simplex of min over the box of
/// sum_k w_k L_k(x)`, and the rows' duals are those weights. GLPK's answer is only a proposal:
/// the caller checks the weights in rigorous arithmetic (``LinearRows/combinedMinimum(weights:over:plus:)``)
/// before it trusts a positive value. Proofs/BranchAndBound.md, "Conjunctions".
public enum ConjunctionLP {
    /// GLPK's solution: the optimum `s`, the weights (clipped to >= 0) and the minimising point
    /// (where every bound is at most `s`: a likely counterexample when `s <= 0`); nil when the
    /// rows or the box are not finite or GLPK does not reach an optimum.
    public static func solve(_ a: LinearRows, constants b: [Double], box: Bounds) -> (value: Double, weights: [Double], point: [Double])? {
        precondition(a.rows == b.count && a.columns == box.count, "ConjunctionLP.solve: size mismatch")
        let n = a.columns, m = box.magnitude
        // |s| at the optimum is at most the largest |L_k| on the box.
        var limit = 1.0
        for k in 0..<a.rows {
            var v = abs(b[k])
            for j in 0..<n { v += abs(a.values[k * n + j]) * m[j] }
            limit = max(limit, 2 * v + 1)
        }
        guard limit.isFinite else { return nil }
        // The polytope L_k(x) - s <= 0 over (x, s), minimising s.
        var rows = LinearRows(zeros: a.rows, columns: n + 1)
        for k in 0..<a.rows {
            for j in 0..<n { rows.values[k * (n + 1) + j] = a.values[k * n + j] }
            rows.values[k * (n + 1) + n] = -1
        }
        let lifted = Bounds(lower: box.lower + [-limit], upper: box.upper + [limit])
        var objective = [Double](repeating: 0, count: n + 1)
        objective[n] = 1
        guard let lp = PolytopeLP(constraints: rows, constants: b, box: lifted), let optimum = lp.minimize(objective) else { return nil }
        return (optimum.value, optimum.multipliers, Array(optimum.point[0..<n]))
    }
}

/// Minima of linear functions over the polytope `{x in box : g_i . x + h_i <= 0}`, one GLPK
/// problem warm-started from objective to objective. The answer is a proposal: the multipliers
/// `mu >= 0` it returns make `min over the box of (a . x + b) + sum_i mu_i (g_i . x + h_i)` a
/// lower bound of the constrained minimum, which the caller evaluates rigorously
/// (``LinearRows/combinedMinimum(weights:over:plus:)`` with weights `[1] + mu`).
public final class PolytopeLP {
    let problem: GLPKProblem
    let columns: Int

    /// nil when the rows or the box are not finite.
    public init?(constraints g: LinearRows, constants h: [Double], box: Bounds) {
        precondition(g.rows == h.count && g.columns == box.count, "PolytopeLP: size mismatch")
        guard g.values.allSatisfy(\.isFinite), h.allSatisfy(\.isFinite),
              box.lower.allSatisfy(\.isFinite), box.upper.allSatisfy(\.isFinite) else { return nil }
        let n = g.columns
        var lp = LinearProgram()
        for j in 0..<n { lp.addVariable(lower: box.lower[j], upper: box.upper[j]) }
        for i in 0..<g.rows {
            lp.addRow(columns: Array(0..<n), coefficients: Array(g.values[(i * n)..<((i + 1) * n)]), upper: -h[i])
        }
        problem = GLPKProblem(lp)
        columns = n
    }

    /// GLPK's minimum of `a . x` over the polytope, the constraints' multipliers (>= 0) and the
    /// minimising point; nil when it finds no optimum (an empty polytope among them).
    public func minimize(_ a: [Double]) -> (value: Double, multipliers: [Double], point: [Double])? {
        precondition(a.count == columns, "PolytopeLP.minimize: \(a.count) coefficients for \(columns) variables")
        guard a.allSatisfy(\.isFinite) else { return nil }
        problem.setObjective(a)
        let solution = problem.solveLP()
        guard solution.status == .optimal else { return nil }
        // Minimising, a row bounded above has a dual <= 0; its multiplier is the negated dual.
        return (solution.objective, solution.rowDuals.map { max(0, -$0) }, solution.primal)
    }
}
