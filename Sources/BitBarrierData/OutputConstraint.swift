/// A linear condition on the network's outputs:
/// `sum_j coefficients[j] * Y_j + constant <= 0`, or `< 0` when `strict`.
///
/// Every VNN-LIB atom over outputs is brought to this form: `(>= Y_0 3.99)` becomes
/// `-Y_0 + 3.99 <= 0`, `(<= Y_0 Y_1)` becomes `Y_0 - Y_1 <= 0`.
public struct OutputConstraint: Sendable, Equatable, Hashable {
    /// Dense coefficients, one per output.
    public var coefficients: [Double]
    /// The constant added to the linear form.
    public var constant: Double
    /// Whether the inequality is strict (`<` or `>` in the file).
    public var strict: Bool

    /// Creates `coefficients . Y + constant <= 0` (or `< 0` when `strict`).
    public init(coefficients: [Double], constant: Double, strict: Bool = false) {
        self.coefficients = coefficients
        self.constant = constant
        self.strict = strict
    }

    /// The value of `coefficients . y + constant`.
    ///
    /// - Precondition: `y.count == coefficients.count`.
    public func value(at y: [Double]) -> Double {
        precondition(y.count == coefficients.count, "expected \(coefficients.count) outputs, got \(y.count)")
        var s = constant
        for j in coefficients.indices where coefficients[j] != 0 { s += coefficients[j] * y[j] }
        return s
    }

    /// Whether concrete outputs `y` satisfy the constraint.
    public func holds(for y: [Double]) -> Bool {
        let s = value(at: y)
        return strict ? s < 0 : s <= 0
    }
}
