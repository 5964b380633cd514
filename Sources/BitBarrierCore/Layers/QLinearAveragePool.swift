/// onnxruntime's `com.microsoft.QLinearAveragePool` (2-D, NCHW): dequantize, average in float32,
/// requantize.
///
/// Concrete, exactly as onnxruntime's kernel (`contrib_ops/cpu/quantization/qlinear_pool.cc`):
/// d_i = float32(x_scale * (x_i - x_zp)); the window (rows clipped to the input, row-major) is
/// summed in float32 from 0; avg = sum / count (count = kh * kw with count_include_pad, else the
/// clipped window's size); y = saturate(nearbyint(float32(float32(avg / y_scale) + y_zp))),
/// rounding half to even. Note the zero point is added *before* rounding, in float32: this can
/// differ from round(avg / y_scale) + y_zp (QuantizeLinear's order) when the sum rounds onto a tie.
///
/// Bounds. Write T(x) = alpha * sum_{i in window} x_i + beta with alpha = x_scale / (count * y_scale)
/// and beta = y_zp - alpha * x_zp * k (k in-window elements): the real value of the runtime's
/// pre-rounding quantity. The runtime's t differs from T(x) by at most
/// E = 2 gamma32_{k+6} (alpha * sum_i (|x_i| + |x_zp|) + |y_zp|) (k + 4 float32 roundings, each
/// relative to at most that magnitude; the Double rounding of alpha and beta is far below it).
/// y = saturate(round(t)) is nondecreasing in t, so:
/// - Interval: [Q(T_lo - E), Q(T_hi + E)] with [T_lo, T_hi] the sound image of the affine map.
/// - Linear: one bin -> that constant; no saturation possible -> T(x) - 1/2 - E <= y <=
///   T(x) + 1/2 + E; otherwise the constant bounds of the interval.
/// Proofs/Quantize.md ("QLinearAveragePool").
public struct QLinearAveragePool: Layer {
    public let inputShape: [Int]
    public let outputShape: [Int]
    public let xScale: Float, xZeroPoint: Float, yScale: Float, yZeroPoint: Float
    public let qmin: Float, qmax: Float
    /// Input offsets of each output's window, in the runtime's summation order.
    let windows: [[Int]]
    let counts: [Float]
    /// T(x): weights alpha on each window, bias beta per output (see the type's discussion).
    public let map: AffineMap

    public init(inputShape: [Int], window: Conv.Window, countIncludePad: Bool,
                xScale: Float, xZeroPoint: Float, yScale: Float, yZeroPoint: Float, qmin: Float, qmax: Float) throws {
        let (c, h, w) = (inputShape[0], inputShape[1], inputShape[2])
        guard window.dilations == [1, 1] else { throw LayerError.invalid("QLinearAveragePool: dilations are not supported") }
        guard xScale > 0, xScale.isFinite, yScale > 0, yScale.isFinite else {
            throw LayerError.invalid("QLinearAveragePool: scales must be positive and finite")
        }
        guard let oh = window.outputExtent(h, axis: 0), let ow = window.outputExtent(w, axis: 1) else {
            throw LayerError.invalid("QLinearAveragePool: kernel larger than the padded input \(h)x\(w)")
        }
        var windows: [[Int]] = [], counts: [Float] = []
        var rowStart = [0], column: [Int] = [], value: [Double] = [], bias: [Double] = []
        for ch in 0..<c {
            for y in 0..<oh {
                let y0 = max(y * window.strides[0] - window.pads[0], 0)
                let y1 = min(y * window.strides[0] - window.pads[0] + window.kernel[0], h)
                for x in 0..<ow {
                    let x0 = max(x * window.strides[1] - window.pads[1], 0)
                    let x1 = min(x * window.strides[1] - window.pads[1] + window.kernel[1], w)
                    var taps: [Int] = []
                    for iy in y0..<max(y1, y0) { for ix in x0..<max(x1, x0) { taps.append((ch * h + iy) * w + ix) } }
                    let count = countIncludePad ? window.kernel[0] * window.kernel[1] : taps.count
                    guard count > 0 else { throw LayerError.invalid("QLinearAveragePool: an empty window") }
                    let alpha = Double(xScale) / (Double(count) * Double(yScale))
                    windows.append(taps)
                    counts.append(Float(count))
                    column += taps
                    value += [Double](repeating: alpha, count: taps.count)
                    rowStart.append(column.count)
                    bias.append(Double(yZeroPoint) - alpha * Double(xZeroPoint) * Double(taps.count))
                }
            }
        }
        self.inputShape = inputShape
        self.outputShape = [c, oh, ow]
        self.xScale = xScale; self.xZeroPoint = xZeroPoint; self.yScale = yScale; self.yZeroPoint = yZeroPoint
        self.qmin = qmin; self.qmax = qmax
        self.windows = windows
        self.counts = counts
        self.map = AffineMap(outputs: c * oh * ow, inputs: c * h * w, storage: .sparse(rowStart: rowStart, column: column, value: value), bias: bias)
    }

    public var summary: String {
        "QLinearAveragePool \(inputShape.map(String.init).joined(separator: "x"))->\(outputShape.map(String.init).joined(separator: "x"))"
    }
    public var parameterCount: Int { 0 }

    public func evaluate(_ inputs: [[Float]]) -> [Float] {
        let x = inputs[0]
        return windows.indices.map { o in
            var sum: Float = 0
            for i in windows[o] { sum += xScale * (x[i] - xZeroPoint) }
            let t = (sum / counts[o]) / yScale + yZeroPoint
            let r = t.rounded(.toNearestOrEven)
            return r.isNaN ? yZeroPoint : min(max(r, qmin), qmax)
        }
    }

    /// E per output: the distance between the runtime's t and T(x) over the input bounds.
    func runtimeBand(_ x: Bounds) -> [Double] {
        let m = x.magnitude
        let zx = Double(abs(xZeroPoint)), zy = Double(abs(yZeroPoint))
        return windows.indices.map { o in
            let alpha = Double(xScale) / (Double(counts[o]) * Double(yScale))
            var s = 0.0
            for i in windows[o] { s += m[i] + zx }
            let gamma = AffineMap.float32Accumulation(windows[o].count + 6)
            return (2 * gamma * (alpha * s + zy) * 1.01).nextUp
        }
    }

    /// Sound bounds of T (real), the band E and the runtime's t (T widened by E), before rounding.
    func preRounding(_ x: Bounds) -> (real: Bounds, band: [Double], runtime: Bounds) {
        let real = map.propagate(x)
        let e = runtimeBand(x)
        var t = real
        for o in e.indices {
            t.lower[o] = (t.lower[o] - e[o]).nextDown
            t.upper[o] = (t.upper[o] + e[o]).nextUp
        }
        return (real, e, t)
    }

    public func propagate(_ inputs: [Bounds]) -> Bounds {
        let t = preRounding(inputs[0]).runtime
        return Bounds(lower: t.lower.map { ElementwiseRelaxation.roundingBin($0, qmin: qmin, qmax: qmax) },
                      upper: t.upper.map { ElementwiseRelaxation.roundingBin($0, qmin: qmin, qmax: qmax) })
    }

    public func backward(_ a: LinearRows, inputs: [Bounds]) -> BackwardStep {
        let x = inputs[0]
        let (real, e, t) = preRounding(x)
        let r = ElementwiseRelaxation.rounding(t, band: e, qmin: qmin, qmax: qmax)
        // y >= relaxation(T) over T's bounds, then T = map(x) substituted.
        let outer = r.backward(a, input: real)
        let inner = map.backward(outer.inputs[0]!, input: x)
        let constant = zip(outer.constant, inner.constant).map { ($0 + $1).nextDown }
        return BackwardStep(inputs: inner.inputs, constant: constant)
    }

    /// Straight-through gradient of T (rounding and saturation ignored), for attacks only.
    public func pullback(_ inputs: [[Float]], gradient: [Double]) -> [[Double]] {
        [map.pullback(gradient)]
    }
}
