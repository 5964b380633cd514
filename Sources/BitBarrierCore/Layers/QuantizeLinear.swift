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
///
/// Requantization (QOperator ops such as QGemm, QLinearMatMul): the same rounding and saturation
/// applied to t = x * m, with x the float32 of an int32 accumulator and m the float32 multiplier
/// a_scale * b_scale / y_scale; `multiplier` holds m and the quotient slack doubles (two float32
/// roundings: int32 -> float32 and the product).
public struct QuantizeLinear: Layer {
    public let scale: [Float]
    public let zeroPoint: [Float]
    public let qmin: Float
    public let qmax: Float
    /// Requantization multipliers (t = x * m) instead of scales (t = x / s).
    public let multiplier: [Float]?

    public init(requantize multiplier: [Float], zeroPoint: [Float], qmin: Float, qmax: Float) throws {
        guard multiplier.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw LayerError.invalid("requantization multipliers must be positive and finite") }
        try self.init(scale: multiplier.map { 1 / $0 }, zeroPoint: zeroPoint, qmin: qmin, qmax: qmax, multiplier: multiplier)
    }

    public init(scale: [Float], zeroPoint: [Float], qmin: Float, qmax: Float) throws {
        try self.init(scale: scale, zeroPoint: zeroPoint, qmin: qmin, qmax: qmax, multiplier: nil)
    }

    init(scale: [Float], zeroPoint: [Float], qmin: Float, qmax: Float, multiplier: [Float]?) throws {
        guard scale.count == zeroPoint.count else { throw LayerError.invalid("QuantizeLinear: \(scale.count) scales for \(zeroPoint.count) zero points") }
        guard scale.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw LayerError.invalid("QuantizeLinear: scales must be positive and finite") }
        self.scale = scale
        self.zeroPoint = zeroPoint
        self.qmin = qmin
        self.qmax = qmax
        self.multiplier = multiplier
    }

    public var summary: String { (multiplier == nil ? "QuantizeLinear(" : "Requantize(") + "\(scale.count), [\(Int(qmin)), \(Int(qmax))])" }
    public var parameterCount: Int { 0 }

    /// The runtime's quantizer on one float32 value.
    @inlinable
    public func quantize(_ x: Float, _ i: Int) -> Float {
        let q = multiplier.map { x * $0[i] } ?? x / scale[i]
        let t = q.rounded(.toNearestOrEven) + zeroPoint[i]
        return t.isNaN ? zeroPoint[i] : min(max(t, qmin), qmax)
    }

    public func evaluate(_ inputs: [[Float]]) -> [Float] {
        inputs[0].indices.map { quantize(inputs[0][$0], $0) }
    }

    static let slack = 0x1p-23

    /// The quantised value for a quotient t (real), clamped.
    public func bin(_ t: Double, _ i: Int) -> Double {
        min(max(t.rounded(.toNearestOrEven) + Double(zeroPoint[i]), Double(qmin)), Double(qmax))
    }

    /// Bounds of t over [l, u] covering real arithmetic and the runtime's float32 roundings.
    public func quotientBounds(_ x: Bounds, _ i: Int) -> (Double, Double) {
        let (lo, hi): (Double, Double)
        if let m = multiplier {
            (lo, hi) = (x.lower[i] * Double(m[i]), x.upper[i] * Double(m[i]))
        } else {
            (lo, hi) = (x.lower[i] / Double(scale[i]), x.upper[i] / Double(scale[i]))
        }
        let slack = multiplier == nil ? Self.slack : 2 * Self.slack
        return ((lo - abs(lo) * slack).nextDown, (hi + abs(hi) * slack).nextUp)
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
            let slope = slope(i)
            let e = roundingBand(x, i)
            r.lowerSlope[i] = slope
            r.upperSlope[i] = slope
            r.lowerIntercept[i] = ((zp - 0.5) - e).nextDown
            r.upperIntercept[i] = ((zp + 0.5) + e).nextUp
        }
        return r
    }

    /// The slope of t in x: the multiplier, or 1 / scale rounded to nearest.
    public func slope(_ i: Int) -> Double {
        multiplier.map { Double($0[i]) } ?? 1 / Double(scale[i])
    }

    /// E with |t_runtime - slope(i) x| <= E for every x in the bounds: |t - slope x| <= u |t|
    /// for the rounded slope, and the runtime's float32 roundings are within 2^-24 |t| each (one
    /// for a quotient, two for a requantization).
    public func roundingBand(_ x: Bounds, _ i: Int) -> Double {
        let m = max(abs(x.lower[i]), abs(x.upper[i]))
        let slack = multiplier == nil ? Self.slack : 2 * Self.slack
        return ((m * abs(slope(i))) * (slack + 4 * FloatError.unitRoundoff) * 1.01).nextUp
    }

    public func backward(_ a: LinearRows, inputs: [Bounds]) -> BackwardStep {
        relaxation(inputs[0]).backward(a, input: inputs[0])
    }

    /// Straight-through gradient (1/s inside the range, 0 when saturated), for attacks only.
    public func pullback(_ inputs: [[Float]], gradient: [Double]) -> [[Double]] {
        [gradient.indices.map { i in
            let q = quantize(inputs[0][i], i)
            return (q <= qmin || q >= qmax) ? 0 : gradient[i] * (multiplier.map { Double($0[i]) } ?? 1 / Double(scale[i]))
        }]
    }
}
