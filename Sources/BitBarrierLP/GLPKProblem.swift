import CGLPK
import Foundation

/// Process-wide count of simplex solves and the time spent in them (LPs per second, for the
/// benchmark: `certify --method lp|milp` prints it on stderr).
public enum LPStatistics {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var solves = 0
    nonisolated(unsafe) private static var seconds = 0.0

    static func record(since start: ContinuousClock.Instant) {
        let d = ContinuousClock.now - start
        let s = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        lock.lock()
        solves += 1
        seconds += s
        lock.unlock()
    }

    /// (simplex solves, seconds spent in them) since the process started.
    public static var snapshot: (solves: Int, seconds: Double) {
        lock.lock()
        defer { lock.unlock() }
        return (solves, seconds)
    }
}

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
    /// The program as GLPK holds it (kept in step by the update methods).
    public private(set) var program: LinearProgram

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
            Self.setRowBounds(prob, i, row.lower, row.upper)
            for (c, v) in zip(row.columns, row.coefficients) where v != 0 {
                ia.append(Int32(i + 1)); ja.append(Int32(c + 1)); ar.append(v)
            }
        }
        if ia.count > 1 { glp_load_matrix(prob, Int32(ia.count - 1), &ia, &ja, &ar) }
    }

    deinit { glp_delete_prob(prob) }

    static func setRowBounds(_ prob: OpaquePointer, _ i: Int, _ lower: Double, _ upper: Double) {
        let type: Int32
        switch (lower.isFinite, upper.isFinite) {
        case (false, false): type = GLP_FR
        case (true, false): type = GLP_LO
        case (false, true): type = GLP_UP
        case (true, true): type = lower == upper ? GLP_FX : GLP_DB
        }
        glp_set_row_bnds(prob, Int32(i + 1), type, lower.isFinite ? lower : 0, upper.isFinite ? upper : 0)
    }

    /// Replaces variable j's bounds, in GLPK and in ``program``.
    public func setBounds(_ j: Int, lower l: Double, upper u: Double) {
        program.setBounds(j, lower: l, upper: u)
        glp_set_col_bnds(prob, Int32(j + 1), l == u ? GLP_FX : GLP_DB, l, u)
    }

    /// Replaces row i's coefficients (same columns) and sides, in GLPK and in ``program``.
    public func setRow(_ i: Int, coefficients: [Double], lower l: Double, upper u: Double) {
        program.setRow(i, coefficients: coefficients, lower: l, upper: u)
        var ind: [Int32] = [0] + program.rows[i].columns.map { Int32($0 + 1) }
        var val: [Double] = [0] + coefficients
        glp_set_mat_row(prob, Int32(i + 1), Int32(coefficients.count), &ind, &val)
        Self.setRowBounds(prob, i, l, u)
    }

    /// The simplex basis: GLPK's status of every row and column.
    public struct Basis: Sendable {
        var rows: [Int32]
        var columns: [Int32]
    }

    /// The current basis (to warm-start a related problem of the same shape).
    public var basis: Basis {
        Basis(rows: (0..<program.rows.count).map { glp_get_row_stat(prob, Int32($0 + 1)) },
              columns: (0..<program.variableCount).map { glp_get_col_stat(prob, Int32($0 + 1)) })
    }

    /// Starts the next simplex from `basis` (ignored if its shape differs; GLPK repairs statuses
    /// that do not fit a bound's type, and a singular basis is replaced by the standard one).
    public func setBasis(_ basis: Basis) {
        guard basis.rows.count == program.rows.count, basis.columns.count == program.variableCount else { return }
        for (i, s) in basis.rows.enumerated() { glp_set_row_stat(prob, Int32(i + 1), s) }
        for (j, s) in basis.columns.enumerated() { glp_set_col_stat(prob, Int32(j + 1), s) }
    }

    /// Sets the objective (minimised) to `c . x`.
    public func setObjective(_ c: [Double]) {
        precondition(c.count == program.variableCount, "GLPKProblem.setObjective: \(c.count) coefficients for \(program.variableCount) variables")
        for j in 0..<c.count { glp_set_obj_coef(prob, Int32(j + 1), c[j]) }
    }

    /// Solves the LP relaxation by the primal simplex (warm-started from the previous basis).
    ///
    /// - Parameter dual: start with the dual simplex (fast after bound changes from an optimal
    ///   basis: branch and bound's warm start), falling back to the primal one.
    public func solveLP(timeLimit seconds: Double? = nil, dual: Bool = false) -> LPSolution {
        var status = runSimplex(seconds, dual: dual)
        if case .numericalFailure = status {
            glp_std_basis(prob)
            status = runSimplex(seconds, dual: dual)
        }
        let m = program.rows.count, n = program.variableCount
        var primal = [Double](repeating: 0, count: n), duals = [Double](repeating: 0, count: m)
        if status == .optimal {
            for j in 0..<n { primal[j] = glp_get_col_prim(prob, Int32(j + 1)) }
            for i in 0..<m { duals[i] = glp_get_row_dual(prob, Int32(i + 1)) }
        }
        return LPSolution(status: status, objective: status == .optimal ? glp_get_obj_val(prob) : .nan, primal: primal, rowDuals: duals)
    }

    func runSimplex(_ seconds: Double?, dual: Bool = false) -> LPStatus {
        let start = ContinuousClock.now
        defer { LPStatistics.record(since: start) }
        var parm = glp_smcp()
        glp_init_smcp(&parm)
        parm.msg_lev = GLP_MSG_OFF
        if dual { parm.meth = GLP_DUALP }
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
