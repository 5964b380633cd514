import Foundation

/// Sound linear bounds for an S-shaped activation (Sigmoid, Tanh): increasing, convex for
/// x <= 0 and concave for x >= 0, with derivative f' unimodal and maximal at 0.
///
/// Lines on [l, u] (DeepPoly, Singh et al. 2019):
/// - u <= 0 (convex): upper = chord, lower = tangent at the midpoint p.
/// - l >= 0 (concave): lower = chord, upper = tangent at p.
/// - l < 0 < u: both lines take slope s <= min(f'(l), f'(u)) = min f' on [l, u]; the lower
///   line passes through (l, f(l)), the upper through (u, f(u)).
///
/// Soundness with floating point. Assumption: the libm evaluation of f is within
/// `valueError(f)` = 16u|f| + 2 eta of the real value and f' within `derivativeError` = 32u
/// (glibc documents exp within 1 ulp and tanh within 2 ulp; Proofs/SShaped.md). Then:
/// - a chord may use any slope s: g(x) = f(x) - s x is convex (concave) on the region, so its
///   maximum (minimum) over [l, u] is at an end; the intercept is that end value, rounded outward.
/// - a tangent at p with computed slope s, |s - f'(p)| <= 32u: on a convex region
///   g(x) >= g(p) + g'(p)(x - p) >= g(p) - 32u max(|l - p|, |u - p|); symmetrically when concave.
/// - mixed: s is the computed minimum less 64u, clipped at 0, so s <= min f' and g is
///   nondecreasing: its minimum is g(l) and its maximum g(u).
struct SShapedRelaxation {
    let f: @Sendable (Double) -> Double
    let derivative: @Sendable (Double) -> Double

    static let u = FloatError.unitRoundoff

    func down(_ x: Double) -> Double {
        let v = f(x)
        return (v - (16 * Self.u * abs(v) + 2 * FloatError.eta)).nextDown
    }

    func up(_ x: Double) -> Double {
        let v = f(x)
        return (v + (16 * Self.u * abs(v) + 2 * FloatError.eta)).nextUp
    }

    /// Sound interval image (f is increasing).
    func propagate(_ x: Bounds) -> Bounds {
        Bounds(lower: x.lower.map(down), upper: x.upper.map(up))
    }

    /// min over [l, u] of f(x) - s x for a chord on a concave region, or max on a convex one:
    /// the value at an end.
    func endIntercept(l: Double, u: Double, slope s: Double, upper: Bool) -> Double {
        if upper {
            return max((up(l) - FloatError.mulDown(s, l)).nextUp, (up(u) - FloatError.mulDown(s, u)).nextUp)
        }
        return min((down(l) - FloatError.mulUp(s, l)).nextDown, (down(u) - FloatError.mulUp(s, u)).nextDown)
    }

    func relaxation(_ x: Bounds) -> ElementwiseRelaxation {
        var r = ElementwiseRelaxation(count: x.count)
        for j in 0..<x.count {
            let l = x.lower[j], u = x.upper[j]
            if !(u - l > 1e-12) {
                // A (near-)point interval: constant bounds, slope 0.
                r.lowerIntercept[j] = down(l)
                r.upperIntercept[j] = up(u)
                continue
            }
            if u <= 0 || l >= 0 {
                let convex = u <= 0
                let chord = (f(u) - f(l)) / (u - l)
                let p = 0.5 * l + 0.5 * u
                let tangent = derivative(p)
                let reach = max(p - l, u - p).nextUp
                let slack = FloatError.mulUp(32 * Self.u, reach)
                // Tangent intercept g(p) -/+ slack, rounded outward.
                if convex {
                    r.upperSlope[j] = chord
                    r.upperIntercept[j] = endIntercept(l: l, u: u, slope: chord, upper: true)
                    r.lowerSlope[j] = tangent
                    r.lowerIntercept[j] = ((down(p) - FloatError.mulUp(tangent, p)).nextDown - slack).nextDown
                } else {
                    r.lowerSlope[j] = chord
                    r.lowerIntercept[j] = endIntercept(l: l, u: u, slope: chord, upper: false)
                    r.upperSlope[j] = tangent
                    r.upperIntercept[j] = ((up(p) - FloatError.mulDown(tangent, p)).nextUp + slack).nextUp
                }
            } else {
                let s = max(0, min(derivative(l), derivative(u)) - 64 * Self.u)
                r.lowerSlope[j] = s
                r.lowerIntercept[j] = (down(l) - FloatError.mulUp(s, l)).nextDown
                r.upperSlope[j] = s
                r.upperIntercept[j] = (up(u) - FloatError.mulDown(s, u)).nextUp
            }
        }
        return r
    }
}
