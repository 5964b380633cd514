/// A variable of a VNN-LIB property: input `X_i` or output `Y_j`, by flat (C-order) index.
enum Variable: Hashable {
    case input(Int)
    case output(Int)
}

/// A linear expression `sum_v coefficients[v] * v + constant` over declared variables.
///
/// `exact` records whether every floating-point operation that built it was exact (checked
/// with the error-free transformations TwoSum and `fma`), so that bounds derived from an
/// inexact term can be widened outward.
struct LinearTerm {
    var coefficients: [Variable: Double] = [:]
    var constant = 0.0
    var exact = true

    /// The constant `c`.
    init(constant: Double) { self.constant = constant }

    /// The variable `v` with coefficient 1.
    init(variable: Variable) { coefficients[variable] = 1 }

    /// Whether no variable has a nonzero coefficient.
    var isConstant: Bool { coefficients.values.allSatisfy { $0 == 0 } }

    /// The variables with a nonzero coefficient.
    var nonzero: [(Variable, Double)] { coefficients.filter { $0.value != 0 }.map { ($0.key, $0.value) } }

    static func + (a: LinearTerm, b: LinearTerm) -> LinearTerm {
        var r = a
        r.exact = a.exact && b.exact
        for (k, v) in b.coefficients {
            let old = r.coefficients[k] ?? 0
            r.coefficients[k] = old + v
            r.exact = r.exact && isExactSum(old, v)
        }
        r.constant = a.constant + b.constant
        r.exact = r.exact && isExactSum(a.constant, b.constant)
        return r
    }

    /// `-a`, always exact.
    static prefix func - (a: LinearTerm) -> LinearTerm { a.scaled(-1) }

    /// The term times the constant `s`.
    func scaled(_ s: Double) -> LinearTerm {
        var r = self
        for (k, v) in coefficients {
            r.coefficients[k] = v * s
            r.exact = r.exact && isExactProduct(v, s)
        }
        r.constant = constant * s
        r.exact = r.exact && isExactProduct(constant, s)
        return r
    }

    /// Whether `a + b` is exact in floating point (Fast2Sum error term is zero).
    static func isExactSum(_ a: Double, _ b: Double) -> Bool {
        let s = a + b
        guard s.isFinite else { return false }
        let (big, small) = abs(a) >= abs(b) ? (a, b) : (b, a)
        return small - (s - big) == 0
    }
}

/// Whether `a * b` is exact in floating point (the `fma` residual is zero).
func isExactProduct(_ a: Double, _ b: Double) -> Bool {
    let p = a * b
    guard p.isFinite else { return false }
    return (-p).addingProduct(a, b) == 0
}
