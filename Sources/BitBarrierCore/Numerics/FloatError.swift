/// Rigorous error terms and outward rounding for Double arithmetic.
///
/// BitBarrier computes bounds with round-to-nearest Double arithmetic (so BLAS can do the heavy
/// products) and then makes them sound with a-posteriori error terms (Higham, *Accuracy and
/// Stability of Numerical Algorithms*, ch. 3):
///
/// - a product or quotient: |fl(a op b) - a op b| <= u |a op b| + eta
/// - a dot product of length n, any order, FMA or not:
///   |fl(a.b) - a.b| <= gamma_n |a|.|b| + n eta, gamma_n = n u / (1 - n u)
///
/// with u = 2^-53 and eta = 2^-1074 (the underflow term). Swift's optimiser assumes
/// round-to-nearest, so directed rounding modes are never used; a final `nextDown`/`nextUp`
/// turns a nearest-rounded scalar into a one-sided bound: for round-to-nearest,
/// nextDown(fl(x)) <= x <= nextUp(fl(x)) for every real x in range.
public enum FloatError {
    /// Unit roundoff of Double, 2^-53.
    public static let unitRoundoff: Double = 0x1p-53
    /// Smallest positive subnormal, the absolute underflow term of one operation.
    public static let eta: Double = Double.leastNonzeroMagnitude

    /// An upper bound on gamma_n = n u / (1 - n u), itself rounded up.
    ///
    /// Worked values: gamma(1) ~ 1.1e-16, gamma(784) ~ 8.7e-14, gamma(10^6) ~ 1.1e-10.
    @inlinable
    public static func gamma(_ n: Int) -> Double {
        let nu = Double(n) * unitRoundoff  // exact for n < 2^53 (a power-of-two scaling)
        precondition(nu < 0.01, "FloatError.gamma: length \(n) too large for a meaningful bound")
        return (nu / (1 - nu)).nextUp.nextUp
    }

    /// Absolute bound on the error of a length-n dot product whose |a|.|b| is `magnitude`.
    @inlinable
    public static func dotProduct(length n: Int, magnitude: Double) -> Double {
        ((gamma(n + 1) * magnitude).nextUp + Double(n + 1) * eta).nextUp
    }

    /// A lower bound of the real value whose nearest-rounded estimate is `value`, when the
    /// estimate's absolute error is at most `error`.
    @inlinable
    public static func lower(_ value: Double, error: Double) -> Double {
        (value - error).nextDown
    }

    /// An upper bound of the real value whose nearest-rounded estimate is `value`, when the
    /// estimate's absolute error is at most `error`.
    @inlinable
    public static func upper(_ value: Double, error: Double) -> Double {
        (value + error).nextUp
    }

    /// Sum rounded down: a lower bound of a + b.
    @inlinable public static func addDown(_ a: Double, _ b: Double) -> Double { (a + b).nextDown }
    /// Sum rounded up: an upper bound of a + b.
    @inlinable public static func addUp(_ a: Double, _ b: Double) -> Double { (a + b).nextUp }
    /// Product rounded down (sign-aware through nextDown): a lower bound of a * b.
    /// (Also sound under underflow: a product flushed to 0 becomes -eta.)
    @inlinable public static func mulDown(_ a: Double, _ b: Double) -> Double { (a * b).nextDown }
    /// Product rounded up: an upper bound of a * b.
    @inlinable public static func mulUp(_ a: Double, _ b: Double) -> Double { (a * b).nextUp }

    /// (sum_k a_k b_k, sum_k |a_k| c_k) in round-to-nearest, four lanes at a time. The order of
    /// summation differs from a plain loop; every error bound used with these sums (gamma_n
    /// times the sum of magnitudes) holds for any order.
    @inline(__always)
    public static func dotAndMagnitude(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ c: UnsafePointer<Double>, count n: Int) -> (Double, Double) {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, m0 = 0.0, m1 = 0.0, m2 = 0.0, m3 = 0.0
        var k = 0
        while k + 4 <= n {
            s0 += a[k] * b[k]; s1 += a[k + 1] * b[k + 1]; s2 += a[k + 2] * b[k + 2]; s3 += a[k + 3] * b[k + 3]
            m0 += Swift.abs(a[k]) * c[k]; m1 += Swift.abs(a[k + 1]) * c[k + 1]
            m2 += Swift.abs(a[k + 2]) * c[k + 2]; m3 += Swift.abs(a[k + 3]) * c[k + 3]
            k += 4
        }
        var s = (s0 + s1) + (s2 + s3), m = (m0 + m1) + (m2 + m3)
        while k < n { s += a[k] * b[k]; m += Swift.abs(a[k]) * c[k]; k += 1 }
        return (s, m)
    }
}
