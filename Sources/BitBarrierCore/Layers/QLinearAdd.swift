/// onnxruntime's `com.microsoft.QLinearAdd` of two quantized tensors of the same shape.
///
/// Concrete, as onnxruntime's x86 AVX2 kernel (MLAS `MlasQLinearAddKernelAvx2Helper`) computes it,
/// in float32: r_a = a_scale / c_scale, r_b = b_scale / c_scale,
/// fixed = c_zp - (r_a * a_zp + r_b * b_zp), then per element
/// t = fma(a, r_a, fma(b, r_b, fixed)) (a, b the raw int8/uint8 values) and
/// y = saturate(round_half_even(t)).
///
/// Bounds. T(a, b) = (a_scale / c_scale)(a - a_zp) + (b_scale / c_scale)(b - b_zp) + c_zp is the real
/// value the runtime approximates; with six float32 roundings (two ratios, three in `fixed`, two
/// fused multiply-adds) |t - T| <= E = 2 gamma32_8 (r_a (|a| + |a_zp|) + r_b (|b| + |b_zp|) + |c_zp|),
/// the Double rounding of the ratios far below that. y = saturate(round(t)) is nondecreasing in t:
/// - Interval: [Q(T_lo - E), Q(T_hi + E)].
/// - Linear: one bin -> constant; no saturation -> T - 1/2 - E <= y <= T + 1/2 + E; else the
///   interval's constants. T is two diagonal affine maps, one per input, each substituted soundly.
/// Proofs/Quantize.md ("QLinearAdd").
public struct QLinearAdd: Layer {
    public let count: Int
    public let aScale: Float, aZeroPoint: Float, bScale: Float, bZeroPoint: Float, cScale: Float, cZeroPoint: Float
    public let qmin: Float, qmax: Float
    /// T's two parts: r_a a + (c_zp - r_a a_zp - r_b b_zp), and r_b b.
    let mapA: AffineMap, mapB: AffineMap

    public init(count: Int, aScale: Float, aZeroPoint: Float, bScale: Float, bZeroPoint: Float,
                cScale: Float, cZeroPoint: Float, qmin: Float, qmax: Float) throws {
        guard [aScale, bScale, cScale].allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw LayerError.invalid("QLinearAdd: scales must be positive and finite")
        }
        self.count = count
        self.aScale = aScale; self.aZeroPoint = aZeroPoint; self.bScale = bScale; self.bZeroPoint = bZeroPoint
        self.cScale = cScale; self.cZeroPoint = cZeroPoint; self.qmin = qmin; self.qmax = qmax
        let ra = Double(aScale) / Double(cScale), rb = Double(bScale) / Double(cScale)
        func scaled(_ r: Double) -> AffineMap.Storage {
            .sparse(rowStart: Array(0...count), column: Array(0..<count), value: [Double](repeating: r, count: count))
        }
        let fixed = Double(cZeroPoint) - ra * Double(aZeroPoint) - rb * Double(bZeroPoint)
        mapA = AffineMap(outputs: count, inputs: count, storage: scaled(ra), bias: [Double](repeating: fixed, count: count))
        mapB = AffineMap(outputs: count, inputs: count, storage: scaled(rb))
    }

    public var summary: String { "QLinearAdd(\(count))" }
    public var parameterCount: Int { 0 }

    public func evaluate(_ inputs: [[Float]]) -> [Float] {
        let (a, b) = (inputs[0], inputs[1])
        let ra = aScale / cScale, rb = bScale / cScale
        let fixed = cZeroPoint - (ra * aZeroPoint + rb * bZeroPoint)
        return (0..<count).map { i in
            let t = fixed.addingProduct(b[i], rb).addingProduct(a[i], ra)
            let r = t.rounded(.toNearestOrEven)
            return r.isNaN ? cZeroPoint : min(max(r, qmin), qmax)
        }
    }

    func band(_ a: Bounds, _ b: Bounds) -> [Double] {
        let ra = Double(aScale) / Double(cScale), rb = Double(bScale) / Double(cScale)
        let (ma, mb) = (a.magnitude, b.magnitude)
        let gamma = AffineMap.float32Accumulation(8)
        return (0..<count).map { i in
            let m = ra * (ma[i] + Double(abs(aZeroPoint))) + rb * (mb[i] + Double(abs(bZeroPoint))) + Double(abs(cZeroPoint))
            return (2 * gamma * m * 1.01).nextUp
        }
    }

    /// Sound bounds of T (real), the band E and the runtime's t (T widened by E).
    func preRounding(_ a: Bounds, _ b: Bounds) -> (real: Bounds, band: [Double], runtime: Bounds) {
        let pa = mapA.propagate(a), pb = mapB.propagate(b)
        let e = band(a, b)
        var real = pa, runtime = pa
        for i in 0..<count {
            real.lower[i] = (pa.lower[i] + pb.lower[i]).nextDown
            real.upper[i] = (pa.upper[i] + pb.upper[i]).nextUp
            runtime.lower[i] = (real.lower[i] - e[i]).nextDown
            runtime.upper[i] = (real.upper[i] + e[i]).nextUp
        }
        return (real, e, runtime)
    }

    public func propagate(_ inputs: [Bounds]) -> Bounds {
        let t = preRounding(inputs[0], inputs[1]).runtime
        return Bounds(lower: t.lower.map { ElementwiseRelaxation.roundingBin($0, qmin: qmin, qmax: qmax) },
                      upper: t.upper.map { ElementwiseRelaxation.roundingBin($0, qmin: qmin, qmax: qmax) })
    }

    public func backward(_ rows: LinearRows, inputs: [Bounds]) -> BackwardStep {
        let (real, e, t) = preRounding(inputs[0], inputs[1])
        let r = ElementwiseRelaxation.rounding(t, band: e, qmin: qmin, qmax: qmax)
        let outer = r.backward(rows, input: real)
        let onA = mapA.backward(outer.inputs[0]!, input: inputs[0])
        let onB = mapB.backward(outer.inputs[0]!, input: inputs[1])
        let constant = (0..<rows.rows).map { ((outer.constant[$0] + onA.constant[$0]).nextDown + onB.constant[$0]).nextDown }
        return BackwardStep(inputs: [onA.inputs[0], onB.inputs[0]], constant: constant)
    }

    /// Straight-through gradient of T, for attacks only.
    public func pullback(_ inputs: [[Float]], gradient: [Double]) -> [[Double]] {
        [mapA.pullback(gradient), mapB.pullback(gradient)]
    }
}
