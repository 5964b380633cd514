import BitBarrierCore

extension SafeBound {
    /// Whether the constraints of `lp` are proved to have no solution, whatever GLPK's accuracy.
    ///
    /// GLPK's "no feasible solution" comes without a certificate, so it is checked by the
    /// elastic program: every row i gets two columns p_i, q_i in [0, limit],
    ///     rowLower_i <= A_i x + p_i - q_i <= rowUpper_i,   minimise sum_i (p_i + q_i).
    /// Every solution of `lp` is a solution of the elastic program with p = q = 0, of objective
    /// 0; so a sound lower bound > 0 of the elastic minimum (``lowerBound(_:objective:duals:)``,
    /// from GLPK's duals clipped to [-1, 1], valid for any duals) proves `lp` infeasible. An
    /// elastic program GLPK cannot solve proves nothing (false). Proofs/SafeBound.md.
    public static func provesInfeasible(_ lp: LinearProgram, timeLimit: Double? = nil, limit: Double = 1e4) -> Bool {
        var elastic = LinearProgram()
        for j in 0..<lp.variableCount { elastic.addVariable(lower: lp.lower[j], upper: lp.upper[j]) }
        var objective = [Double](repeating: 0, count: lp.variableCount)
        for row in lp.rows {
            let p = elastic.addVariable(lower: 0, upper: limit)
            let q = elastic.addVariable(lower: 0, upper: limit)
            objective.append(contentsOf: [1, 1])
            elastic.addRow(columns: row.columns + [p, q], coefficients: row.coefficients + [1, -1], lower: row.lower, upper: row.upper)
        }
        let problem = GLPKProblem(elastic)
        problem.setObjective(objective)
        let solution = problem.solveLP(timeLimit: timeLimit)
        guard solution.status == .optimal else { return false }
        let duals = solution.rowDuals.map { min(max($0, -1), 1) }
        return lowerBound(elastic, objective: objective, duals: duals) > 0
    }
}
