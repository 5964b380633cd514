import CGLPK

/// How a GLPK solve ended.
public enum LPStatus: Sendable, Equatable {
    case optimal
    case infeasible
    case unbounded
    case iterationLimit
    case timeLimit
    case numericalFailure(String)
}

/// The raw result of a solve: GLPK's floating-point optimum, never used as a bound directly.
public struct LPSolution: Sendable {
    public var status: LPStatus
    public var objective: Double
    public var primal: [Double]
    /// Row duals (GLPK convention: d = c - A^T dual are the reduced costs).
    public var rowDuals: [Double]
}

/// Owns one `glp_prob`; the only code that calls GLPK. 0-based indices, sizes checked in Swift
/// before any call (GLPK aborts the process on a bad index), output silenced, time limits
/// honoured, a failed simplex retried once from a fresh (standard) basis. Never share one
/// between threads; separate problems on separate threads are fine (GLPK's environment is
/// thread-local).
public final class GLPKProblem {
    let prob: OpaquePointer
    public let program: LinearProgram

    public init(_ program: LinearProgram) {
        self.program = program
        glp_term_out(GLP_OFF)
        prob = glp_create_prob()
        let n = program.variableCount, m = program.rows.count
        glp_set_obj_dir(prob, GLP_MIN)
        if m > 0 { glp_add_rows(prob, Int32(m)) }
        if n > 0 { glp_add_cols(prob, Int32(n)) }
        for j in 0..<n {
            let (l, u) = (program.lower[j], program.upper[j])
            glp_set_col_bnds(prob, Int32(j + 1), l == u ? GLP_FX : GLP_DB, l, u)
            glp_set_obj_coef(prob, Int32(j + 1), program.objective[j])
            if program.integer[j] {
                glp_set_col_kind(prob, Int32(j + 1), (l == 0 && u == 1) ? GLP_BV : GLP_IV)
            }
        }
        var ia: [Int32] = [0], ja: [Int32] = [0], ar: [Double] = [0]
        for (i, row) in program.rows.enumerated() {
            let type: Int32
            switch (row.lower.isFinite, row.upper.isFinite) {
            case (false, false): type = GLP_FR
            case (true, false): type = GLP_LO
            case (false, true): type = GLP_UP
            case (true, true): type = row.lower == row.upper ? GLP_FX : GLP_DB
            }
            glp_set_row_bnds(prob, Int32(i + 1), type, row.lower.isFinite ? row.lower : 0, row.upper.isFinite ? row.upper : 0)
            for (c, v) in zip(row.columns, row.coefficients) where v != 0 {
                ia.append(Int32(i + 1)); ja.append(Int32(c + 1)); ar.append(v)
            }
        }
        if ia.count > 1 { glp_load_matrix(prob, Int32(ia.count - 1), &ia, &ja, &ar) }
    }

    deinit { glp_delete_prob(prob) }

    /// Sets the objective (minimised) to `c . x`.
    public func setObjective(_ c: [Double]) {
        precondition(c.count == program.variableCount, "GLPKProblem.setObjective: \(c.count) coefficients for \(program.variableCount) variables")
        for j in 0..<c.count { glp_set_obj_coef(prob, Int32(j + 1), c[j]) }
    }

    /// Solves the LP relaxation by the primal simplex (warm-started from the previous basis).
    public func solveLP(timeLimit seconds: Double? = nil) -> LPSolution {
        var status = runSimplex(seconds)
        if case .numericalFailure = status {
            glp_std_basis(prob)
            status = runSimplex(seconds)
        }
        let m = program.rows.count, n = program.variableCount
        var primal = [Double](repeating: 0, count: n), duals = [Double](repeating: 0, count: m)
        if status == .optimal {
            for j in 0..<n { primal[j] = glp_get_col_prim(prob, Int32(j + 1)) }
            for i in 0..<m { duals[i] = glp_get_row_dual(prob, Int32(i + 1)) }
        }
        return LPSolution(status: status, objective: status == .optimal ? glp_get_obj_val(prob) : .nan, primal: primal, rowDuals: duals)
    }

    func runSimplex(_ seconds: Double?) -> LPStatus {
        var parm = glp_smcp()
        glp_init_smcp(&parm)
        parm.msg_lev = GLP_MSG_OFF
        parm.presolve = GLP_OFF
        if let seconds { parm.tm_lim = Int32(max(1, min(seconds * 1000, Double(Int32.max)))) }
        let rc = glp_simplex(prob, &parm)
        switch rc {
        case 0: break
        case GLP_ETMLIM: return .timeLimit
        case GLP_EITLIM: return .iterationLimit
        default: return .numericalFailure("glp_simplex returned \(rc)")
        }
        switch glp_get_status(prob) {
        case GLP_OPT: return .optimal
        case GLP_NOFEAS, GLP_INFEAS: return .infeasible
        case GLP_UNBND: return .unbounded
        default: return .numericalFailure("simplex ended with status \(glp_get_status(prob))")
        }
    }

    /// Solves the mixed-integer program (LP relaxation first, then branch and bound).
    public func solveMILP(timeLimit seconds: Double? = nil) -> LPSolution {
        let lp = solveLP(timeLimit: seconds)
        guard lp.status == .optimal else { return lp }
        var parm = glp_iocp()
        glp_init_iocp(&parm)
        parm.msg_lev = GLP_MSG_OFF
        if let seconds { parm.tm_lim = Int32(max(1, min(seconds * 1000, Double(Int32.max)))) }
        let rc = glp_intopt(prob, &parm)
        let n = program.variableCount
        var status: LPStatus
        switch rc {
        case 0:
            switch glp_mip_status(prob) {
            case GLP_OPT: status = .optimal
            case GLP_NOFEAS: status = .infeasible
            default: status = .numericalFailure("MIP status \(glp_mip_status(prob))")
            }
        case GLP_ETMLIM: status = .timeLimit
        case GLP_ENOPFS: status = .infeasible
        default: status = .numericalFailure("glp_intopt returned \(rc)")
        }
        var primal = [Double](repeating: 0, count: n)
        let hasPoint = status == .optimal || glp_mip_status(prob) == GLP_FEAS
        if hasPoint { for j in 0..<n { primal[j] = glp_mip_col_val(prob, Int32(j + 1)) } }
        return LPSolution(status: status, objective: hasPoint ? glp_mip_obj_val(prob) : .nan, primal: primal, rowDuals: [])
    }
}
