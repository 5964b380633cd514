/// ONNX QuantizeLinear: y = saturate(round(x / s) + zp), rounding half to even, saturating to
/// [qmin, qmax] (int8: [-128, 127], uint8: [0, 255]). Values are carried as float32 integers.
///
/// Concrete: the division in float32 (the scale's type), as onnxruntime computes it.
///
/// Bounds must hold for the runtime's float32 evaluation, not only for real arithmetic, since a
/// rounding boundary turns tiny differences into a whole bin: with t = x / s, the float32 quotient
/// lies within 2^-24 |t| of the real one, so the transformers use t widened by 2^-23 |t| (and the
/// layer feeding this one carries its own float32 accumulation error, set at import).
/// - Interval: Q is nondecreasing, so [Q(t_lo), Q(t_hi)] with t_lo, t_hi the widened quotients.
/// - Linear: if one bin covers the interval, y is that constant; if no saturation can occur,
///   x/s + zp - 1/2 - E <= y <= x/s + zp + 1/2 + E (round(t) is within 1/2 of t; E covers the
///   float32 quotient and the rounded slope); otherwise the constant bounds of the interval.
/// Proofs/Quantize.md.
public struct QuantizeLinear: Layer {
    public let scale: [Float]
    public let zeroPoint: [Float]
    public let qmin: Float
    public let qmax: Float

    public init(scale: [Float], zeroPoint: [Float], qmin: Float, qmax: Float) throws {
        guard scale.count == zeroPoint.count else { throw LayerError.invalid("QuantizeLinear: \(scale.count) scales for \(zeroPoint.count) zero points") }
        guard scale.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw LayerError.invalid("QuantizeLinear: scales must be positive and finite") }
        self.scale = scale
        self.zeroPoint = zeroPoint
        self.qmin = qmin
        self.qmax = qmax
    }

    public var summary: String { "QuantizeLinear(\(scale.count), [\(Int(qmin)), \(Int(qmax))])" }
    public var parameterCount: Int { 0 }

    /// The runtime's quantizer on one float32 value.
    @inlinable
    public func quantize(_ x: Float, _ i: Int) -> Float {
        let t = (x / scale[i]).rounded(.toNearestOrEven) + zeroPoint[i]
        return t.isNaN ? zeroPoint[i] : min(max(t, qmin), qmax)
    }

    public func evaluate(_ inputs: [[Float]]) -> [Float] {
        inputs[0].indices.map { quantize(inputs[0][$0], $0) }
    }

    static let slack = 0x1p-23

    /// The quantised value for a quotient t (real), clamped.
    func bin(_ t: Double, _ i: Int) -> Double {
        min(max(t.rounded(.toNearestOrEven) + Double(zeroPoint[i]), Double(qmin)), Double(qmax))
    }

    func quotientBounds(_ x: Bounds, _ i: Int) -> (Double, Double) {
        let s = Double(scale[i])
        let lo = x.lower[i] / s, hi = x.upper[i] / s
        return ((lo - abs(lo) * Self.slack).nextDown, (hi + abs(hi) * Self.slack).nextUp)
    }

    public func propagate(_ inputs: [Bounds]) -> Bounds {
        let x = inputs[0]
        var lo = x.lower, hi = x.upper
        for i in lo.indices {
            let (a, b) = quotientBounds(x, i)
            lo[i] = bin(a, i)
            hi[i] = bin(b, i)
        }
        return Bounds(lower: lo, upper: hi)
    }

    public func relaxation(_ x: Bounds) -> ElementwiseRelaxation {
        var r = ElementwiseRelaxation(count: x.count)
        for i in 0..<x.count {
            let (a, b) = quotientBounds(x, i)
            let (qa, qb) = (bin(a, i), bin(b, i))
            let zp = Double(zeroPoint[i])
            let unsaturated = a.rounded(.toNearestOrEven) + zp >= Double(qmin) && b.rounded(.toNearestOrEven) + zp <= Double(qmax)
            if qa == qb || !unsaturated {
                r.lowerIntercept[i] = qa
                r.upperIntercept[i] = qb
                continue
            }
            let s = Double(scale[i])
            let slope = 1 / s
            let m = max(abs(x.lower[i]), abs(x.upper[i]))
            // |x/s - slope x| <= u |x/s|; float32 quotient within 2^-24 |x/s|: E covers both, generously.
            let e = ((m / s) * (Self.slack + 4 * FloatError.unitRoundoff) * 1.01).nextUp
            r.lowerSlope[i] = slope
            r.upperSlope[i] = slope
            r.lowerIntercept[i] = ((zp - 0.5) - e).nextDown
            r.upperIntercept[i] = ((zp + 0.5) + e).nextUp
        }
        return r
    }

    public func backward(_ a: LinearRows, inputs: [Bounds]) -> BackwardStep {
        relaxation(inputs[0]).backward(a, input: inputs[0])
    }

    /// Straight-through gradient (1/s inside the range, 0 when saturated), for attacks only.
    public func pullback(_ inputs: [[Float]], gradient: [Double]) -> [[Double]] {
        [gradient.indices.map { i in
            let q = quantize(inputs[0][i], i)
            return (q <= qmin || q >= qmax) ? 0 : gradient[i] / Double(scale[i])
        }]
    }
}
