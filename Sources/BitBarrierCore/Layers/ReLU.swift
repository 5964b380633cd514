/// y = max(x, 0), elementwise.
///
/// Relaxation on [l, u] (CROWN, Zhang et al. 2018):
/// - stable (l >= 0): y = x; (u <= 0): y = 0; both exact.
/// - unstable (l < 0 < u): upper line through (l, 0) and (u, u), slope s = u / (u - l); lower
///   line y >= alpha x with alpha = 1 if u >= -l else 0 (the adaptive choice).
///
/// Soundness in floating point: the slope s may be any rounded value in [0, 1]; the intercept is
/// then max over [l, u] of relu(x) - s x, a convex function, so its maximum is at an end:
/// t = max(-s l, u - s u), evaluated rounding up. Proofs/ReLU.md.
public struct ReLU: Layer {
    public let size: Int
    public init(size: Int) { self.size = size }

    public var summary: String { "ReLU(\(size))" }
    public var parameterCount: Int { 0 }

    public func evaluate(_ inputs: [[Float]]) -> [Float] {
        inputs[0].map { $0 > 0 ? $0 : 0 }
    }

    public func propagate(_ inputs: [Bounds]) -> Bounds {
        Bounds(lower: inputs[0].lower.map { max($0, 0) }, upper: inputs[0].upper.map { max($0, 0) })
    }

    /// The relaxation used by `backward`, exposed for the LP encoding and the tests.
    public func relaxation(_ x: Bounds) -> ElementwiseRelaxation {
        var r = ElementwiseRelaxation(count: size)
        for j in 0..<size {
            let l = x.lower[j], u = x.upper[j]
            if l >= 0 {
                r.lowerSlope[j] = 1; r.upperSlope[j] = 1
            } else if u <= 0 {
                continue
            } else {
                let s = min(max(u / (u - l), 0), 1)
                r.upperSlope[j] = s
                r.upperIntercept[j] = max(FloatError.mulUp(-s, l), (u - FloatError.mulDown(s, u)).nextUp)
                r.lowerSlope[j] = u >= -l ? 1 : 0
            }
        }
        return r
    }

    public func backward(_ a: LinearRows, inputs: [Bounds]) -> BackwardStep {
        relaxation(inputs[0]).backward(a, input: inputs[0])
    }

    public func pullback(_ inputs: [[Float]], gradient: [Double]) -> [[Double]] {
        let x = inputs[0]
        return [gradient.indices.map { x[$0] > 0 ? gradient[$0] : 0 }]
    }
}
