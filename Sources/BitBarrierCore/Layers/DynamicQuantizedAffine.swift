/// Dynamic quantization as `onnxruntime.quantization.quantize_dynamic` emits it, fused into one
/// layer: DynamicQuantizeLinear(x) -> MatMulInteger / ConvInteger with constant int8 weights ->
/// Cast to float -> Mul by (x_scale * w_scale) [-> Add of a float bias].
///
/// Concrete, as onnxruntime computes it (`GetQuantizationParameter`, MLAS QuantizeLinear):
/// lo = min(0, min x), hi = max(0, max x) over the whole tensor; s = (hi - lo) / 255 in float32
/// (s = 1 when hi == lo, i.e. x == 0); zp = round_half_even(clamp(0 - lo / s, 0, 255));
/// q_k = saturate_[0,255](round_half_even(float32(x_k / s)) + zp). The integer product
/// acc_n = sum_k W'_nk (q_k - zp), W' = w - w_zp, is exact (int32; ConvInteger pads with zp so a
/// padded tap contributes 0); then y_n = float32(float32(acc_n) * float32(s * ws_n)) [+ b_n in
/// float32].
///
/// Bounds (Proofs/Quantize.md, "DynamicQuantizeLinear + MatMulInteger"). The dequantized input
/// s (q_k - zp) lies within e = s_max (1/2 + 2^-12) of x_k for every x in the box, with
/// s_max = (max(0, max_k u_k) - min(0, min_k l_k)) / 255 (1 + 2^-21), covering the float32 scale,
/// zero point and quotient; the clamp only moves q towards x / s + zp, since lo <= x <= hi.
/// So y_n = ws_n (W' x)_n + b_n + r_n with
/// |r_n| <= E_n = ws_n sum_k |W'_nk| (e + 2^-22 (m_k + e)) + 2^-24 (|y| + |b_n|), m_k = max(|l_k|, |u_k|)
/// (three float32 roundings of the product, one of the bias Add). The relaxation is the affine
/// map x -> ws (W' x) + b with the constant band +/- E, interval and linear alike.
public struct DynamicQuantizedAffine: Layer {
    /// W' = w - w_zp, exact integers, no bias: the concrete accumulator.
    public let integer: AffineMap
    /// Float32 weight scale per output.
    public let weightScale: [Float]
    /// Float32 bias per output (the fused Add), or nil.
    public let bias: [Float]?
    /// x -> ws_n (W' x)_n + b_n, weights exact in Double (float32 times a small integer).
    public let scaled: AffineMap

    public init(integer: AffineMap, weightScale: [Float], bias: [Float]? = nil) throws {
        guard weightScale.count == integer.outputs else {
            throw LayerError.invalid("DynamicQuantizedAffine: \(weightScale.count) weight scales for \(integer.outputs) outputs")
        }
        guard weightScale.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw LayerError.invalid("DynamicQuantizedAffine: weight scales must be positive and finite")
        }
        if let bias, bias.count != integer.outputs {
            throw LayerError.invalid("DynamicQuantizedAffine: \(bias.count) biases for \(integer.outputs) outputs")
        }
        self.integer = integer
        self.weightScale = weightScale
        self.bias = bias
        let storage: AffineMap.Storage
        switch integer.storage {
        case .dense(let w):
            let k = integer.inputs
            storage = .dense(w.indices.map { w[$0] * Double(weightScale[$0 / k]) })
        case .sparse(let rs, let col, let val):
            var v = val
            for n in 0..<integer.outputs { for e in rs[n]..<rs[n + 1] { v[e] *= Double(weightScale[n]) } }
            storage = .sparse(rowStart: rs, column: col, value: v)
        }
        scaled = AffineMap(outputs: integer.outputs, inputs: integer.inputs, storage: storage, bias: bias?.map(Double.init))
    }

    /// The same layer with a float32 bias added after the scale (the Add that follows the Mul).
    public func addingBias(_ b: [Float]) throws -> DynamicQuantizedAffine {
        guard bias == nil else { throw LayerError.invalid("DynamicQuantizedAffine: bias already set") }
        return try DynamicQuantizedAffine(integer: integer, weightScale: weightScale, bias: b)
    }

    public var summary: String { "DynamicQuantizedAffine \(integer.inputs)->\(integer.outputs)" }
    public var parameterCount: Int { integer.weightCount + (bias?.count ?? 0) }

    /// onnxruntime's DynamicQuantizeLinear: the uint8 values, scale and zero point of `x`.
    public static func quantize(_ x: [Float]) -> (q: [Float], scale: Float, zeroPoint: Float) {
        var lo: Float = 0, hi: Float = 0
        for v in x { lo = min(lo, v); hi = max(hi, v) }
        let s: Float = hi == lo ? 1 : (hi - lo) / 255
        let initial: Float = 0 - lo / s
        let zp = min(max(initial, 0), 255).rounded(.toNearestOrEven)
        let q = x.map { v -> Float in
            let t = (v / s).rounded(.toNearestOrEven) + zp
            return t.isNaN ? zp : min(max(t, 0), 255)
        }
        return (q, s, zp)
    }

    public func evaluate(_ inputs: [[Float]]) -> [Float] {
        let (q, s, zp) = Self.quantize(inputs[0])
        let acc = integer.apply(q.map { $0 - zp })
        return acc.indices.map { n in
            let y = acc[n] * (s * weightScale[n])
            return bias.map { y + $0[n] } ?? y
        }
    }

    /// E per output (see the type's discussion).
    func band(_ x: Bounds) -> [Double] {
        var hi = 0.0, lo = 0.0
        for j in 0..<x.count { hi = max(hi, x.upper[j]); lo = min(lo, x.lower[j]) }
        let sMax = ((hi - lo) / 255 * (1 + 0x1p-21)).nextUp
        let e = (sMax * (0.5 + 0x1p-12)).nextUp
        let m = x.magnitude.map { (e + 0x1p-22 * ($0 + e)) * (1 + 0x1p-20) }
        let mag = AffineMap.multiply(integer.absolute, m, outputs: integer.outputs, inputs: integer.inputs)
        let prod = AffineMap.multiply(integer.absolute, x.magnitude.map { $0 + e }, outputs: integer.outputs, inputs: integer.inputs)
        return (0..<integer.outputs).map { n in
            let ws = Double(weightScale[n])
            let b = bias.map { Double(abs($0[n])) } ?? 0
            let product = ws * prod[n] * (1 + 0x1p-21)
            return ((ws * mag[n] + 0x1p-24 * (product + b)) * (1 + 0x1p-10)).nextUp
        }
    }

    public func propagate(_ inputs: [Bounds]) -> Bounds {
        var y = scaled.propagate(inputs[0])
        let e = band(inputs[0])
        for n in e.indices {
            y.lower[n] = (y.lower[n] - e[n]).nextDown
            y.upper[n] = (y.upper[n] + e[n]).nextUp
        }
        return y
    }

    /// a . y >= a . (ws W' x + b) - sum_n |a_n| E_n.
    public func backward(_ a: LinearRows, inputs: [Bounds]) -> BackwardStep {
        var step = scaled.backward(a, input: inputs[0])
        let e = band(inputs[0])
        for r in 0..<a.rows {
            var s = 0.0
            for n in 0..<a.columns { s += abs(a.values[r * a.columns + n]) * e[n] }
            step.constant[r] = (step.constant[r] - (s * (1 + 0x1p-20)).nextUp).nextDown
        }
        return step
    }

    /// Straight-through gradient (rounding ignored), for attacks only.
    public func pullback(_ inputs: [[Float]], gradient: [Double]) -> [[Double]] {
        [scaled.pullback(gradient)]
    }
}
