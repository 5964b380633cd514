/// ONNX MaxPool (2-D): y_o = max of x over window o (padding never wins: it is -infinity).
///
/// Interval: [max of lowers, max of uppers] over the window, exact.
/// Relaxation (as auto_LiRPA's BoundMaxPool without optimisation): if one element's lower bound
/// is at least every other element's upper bound, y_o = x_i exactly; otherwise
/// x_{i*} <= y_o <= max_j u_j, with i* the element of largest lower bound. Coefficients of
/// overlapping windows add up; those sums are rounded, and their error (gamma_k |a| m) is
/// subtracted from the constant. Proofs/MaxPool.md.
public struct MaxPool: Layer {
    public let inputShape: [Int]
    public let outputShape: [Int]
    /// CSR windows: output o reads input indices window[windowStart[o]..<windowStart[o+1]].
    let windowStart: [Int]
    let window: [Int]

    public init(inputShape: [Int], window w: Conv.Window) throws {
        let (c, h, wd) = (inputShape[0], inputShape[1], inputShape[2])
        guard let oh = w.outputExtent(h, axis: 0), let ow = w.outputExtent(wd, axis: 1) else {
            throw LayerError.invalid("MaxPool: kernel larger than the padded input \(h)x\(wd)")
        }
        var start = [0], idx: [Int] = []
        for ch in 0..<c {
            for y in 0..<oh {
                for x in 0..<ow {
                    for ky in 0..<w.kernel[0] {
                        let iy = y * w.strides[0] - w.pads[0] + ky * w.dilations[0]
                        if iy < 0 || iy >= h { continue }
                        for kx in 0..<w.kernel[1] {
                            let ix = x * w.strides[1] - w.pads[1] + kx * w.dilations[1]
                            if ix < 0 || ix >= wd { continue }
                            idx.append((ch * h + iy) * wd + ix)
                        }
                    }
                    guard idx.count > start.last! else { throw LayerError.invalid("MaxPool: a window lies entirely in padding") }
                    start.append(idx.count)
                }
            }
        }
        self.inputShape = inputShape
        self.outputShape = [c, oh, ow]
        self.windowStart = start
        self.window = idx
    }

    var outputs: Int { windowStart.count - 1 }
    public var summary: String { "MaxPool \(inputShape.map(String.init).joined(separator: "x"))->\(outputShape.map(String.init).joined(separator: "x"))" }
    public var parameterCount: Int { 0 }

    public func evaluate(_ inputs: [[Float]]) -> [Float] {
        let x = inputs[0]
        return (0..<outputs).map { o in
            var best = -Float.infinity
            for e in windowStart[o]..<windowStart[o + 1] { best = max(best, x[window[e]]) }
            return best
        }
    }

    public func propagate(_ inputs: [Bounds]) -> Bounds {
        let x = inputs[0]
        var lo = [Double](repeating: -.infinity, count: outputs), hi = lo
        for o in 0..<outputs {
            for e in windowStart[o]..<windowStart[o + 1] {
                lo[o] = max(lo[o], x.lower[window[e]])
                hi[o] = max(hi[o], x.upper[window[e]])
            }
        }
        return Bounds(lower: lo, upper: hi)
    }

    public func backward(_ a: LinearRows, inputs: [Bounds]) -> BackwardStep {
        let x = inputs[0]
        let n = x.count
        // Per output: the element bounding it from below, and whether it is exact.
        var chosen = [Int](repeating: 0, count: outputs)
        var upperConstant = [Double](repeating: 0, count: outputs)
        var exact = [Bool](repeating: false, count: outputs)
        for o in 0..<outputs {
            var best = window[windowStart[o]], bestLower = -Double.infinity, maxUpper = -Double.infinity
            for e in windowStart[o]..<windowStart[o + 1] {
                let i = window[e]
                if x.lower[i] > bestLower { bestLower = x.lower[i]; best = i }
                maxUpper = max(maxUpper, x.upper[i])
            }
            var dominates = true
            for e in windowStart[o]..<windowStart[o + 1] where window[e] != best && x.upper[window[e]] > bestLower {
                dominates = false
            }
            chosen[o] = best
            exact[o] = dominates
            upperConstant[o] = maxUpper
        }
        let m = x.magnitude
        let u = FloatError.unitRoundoff
        var out = LinearRows(zeros: a.rows, columns: n)
        var constant = [Double](repeating: 0, count: a.rows)
        var absSum = [Double](repeating: 0, count: n)
        for r in 0..<a.rows {
            for i in 0..<n { absSum[i] = 0 }
            var s = 0.0, mag = 0.0
            for o in 0..<outputs {
                let ao = a.values[r * outputs + o]
                if ao == 0 { continue }
                if ao > 0 || exact[o] {
                    out.values[r * n + chosen[o]] += ao
                    absSum[chosen[o]] += abs(ao)
                } else {
                    let t = ao * upperConstant[o]
                    s += t
                    mag += abs(t)
                }
            }
            var accumulated = 0.0
            for i in 0..<n where absSum[i] != 0 { accumulated += absSum[i] * m[i] }
            let g = FloatError.gamma(outputs + 2)
            let err = ((g * (mag + accumulated)) * (1 + 4 * u)).nextUp + Double(outputs + n + 4) * FloatError.eta
            constant[r] = (s - err).nextDown
        }
        return BackwardStep(inputs: [out], constant: constant)
    }

    public func pullback(_ inputs: [[Float]], gradient: [Double]) -> [[Double]] {
        let x = inputs[0]
        var g = [Double](repeating: 0, count: x.count)
        for o in 0..<outputs where gradient[o] != 0 {
            var best = window[windowStart[o]]
            for e in windowStart[o]..<windowStart[o + 1] where x[window[e]] > x[best] { best = window[e] }
            g[best] += gradient[o]
        }
        return [g]
    }
}
