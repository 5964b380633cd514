/// A linear (or mixed-integer) program as a plain value, built before any solver sees it:
///
///     minimise  sum_j objective[j] x_j
///     subject to rowLower[i] <= sum_j A_ij x_j <= rowUpper[i]   (either side may be infinite)
///                lower[j] <= x_j <= upper[j]                      (finite: bounds come from the analysis)
///                x_j integer where integer[j]
///
/// Tests inspect formulations through this type without GLPK; `GLPKProblem` solves it.
public struct LinearProgram: Sendable {
    public struct Row: Sendable {
        public var columns: [Int]
        public var coefficients: [Double]
        public var lower: Double
        public var upper: Double
    }

    public private(set) var lower: [Double] = []
    public private(set) var upper: [Double] = []
    public private(set) var integer: [Bool] = []
    public private(set) var rows: [Row] = []
    public var objective: [Double] = []

    public init() {}

    public var variableCount: Int { lower.count }

    /// Adds a variable with finite bounds; returns its index.
    @discardableResult
    public mutating func addVariable(lower l: Double, upper u: Double, integer isInteger: Bool = false) -> Int {
        precondition(l.isFinite && u.isFinite && l <= u, "LinearProgram: variable bounds [\(l), \(u)] must be finite and ordered")
        lower.append(l)
        upper.append(u)
        integer.append(isInteger)
        objective.append(0)
        return lower.count - 1
    }

    /// Adds a row lower <= a.x <= upper (use -infinity / +infinity for one-sided rows).
    public mutating func addRow(columns: [Int], coefficients: [Double], lower l: Double = -.infinity, upper u: Double = .infinity) {
        precondition(columns.count == coefficients.count, "LinearProgram: row sizes differ")
        precondition(columns.allSatisfy { $0 >= 0 && $0 < variableCount }, "LinearProgram: column out of range")
        precondition(!(l.isNaN || u.isNaN) && l <= u, "LinearProgram: row bounds [\(l), \(u)]")
        rows.append(Row(columns: columns, coefficients: coefficients, lower: l, upper: u))
    }

    /// Tightens a variable's bounds (intersection).
    public mutating func tighten(_ j: Int, lower l: Double, upper u: Double) {
        lower[j] = max(lower[j], l)
        upper[j] = min(upper[j], u)
        if lower[j] > upper[j] { let m = 0.5 * (lower[j] + upper[j]); lower[j] = m; upper[j] = m }
    }

    /// Replaces a variable's bounds (finite and ordered).
    public mutating func setBounds(_ j: Int, lower l: Double, upper u: Double) {
        precondition(l.isFinite && u.isFinite && l <= u, "LinearProgram: variable bounds [\(l), \(u)] must be finite and ordered")
        lower[j] = l
        upper[j] = u
    }

    /// Replaces row i's coefficients (same columns) and sides.
    public mutating func setRow(_ i: Int, coefficients: [Double], lower l: Double, upper u: Double) {
        precondition(coefficients.count == rows[i].columns.count, "LinearProgram: row \(i) has \(rows[i].columns.count) columns")
        precondition(!(l.isNaN || u.isNaN) && l <= u, "LinearProgram: row bounds [\(l), \(u)]")
        rows[i].coefficients = coefficients
        rows[i].lower = l
        rows[i].upper = u
    }

    public var isMixedInteger: Bool { integer.contains(true) }
}
