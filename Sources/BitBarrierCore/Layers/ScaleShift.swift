/// y_i = s_i x_i + t_i with constants: ONNX Add/Sub/Mul/Div by a constant, and BatchNormalization.
///
/// The concrete semantics replays the float32 operation onnxruntime performs (x + c, x - c,
/// c - x, x * c, x / c; BatchNormalization as x * s + t). For the bounds the real scale is within
/// relative error `scaleError` of `scale` (0 for Add/Sub/Mul by a float32 constant, u for 1/c,
/// 8u for BatchNorm's gamma / sqrt(var + eps)) and the real shift lies in [shiftLower, shiftUpper].
public struct ScaleShift: Layer {
    public enum Operation: Sendable, Equatable {
        case add, subtract, subtractFrom, multiply, divide, batchNorm
    }

    public let operation: Operation
    /// The float32 constant of the ONNX operation, one per element (broadcast at import).
    public let constant: [Float]
    public let scale: [Double]
    public private(set) var scaleError: Double
    public let shiftLower: [Double]
    public let shiftUpper: [Double]
    /// For batchNorm, the float32 scale and shift used by the concrete evaluation.
    let batchScale: [Float]
    let batchShift: [Float]

    /// An elementwise operation with a float32 constant (already broadcast to the input size).
    ///
    /// - Parameter runtimeRelativeError: for a runtime whose float32 result matters bit for bit
    ///   (quantized models): the float32 rounding of the result, r |s x + t| <= r |s x| + r |t|,
    ///   carried by the scale's error and a widened shift.
    public init(_ operation: Operation, constant: [Float], runtimeRelativeError: Double = 0) throws {
        precondition(operation != .batchNorm, "use init(batchNorm...)")
        let c = constant.map(Double.init)
        self.operation = operation
        self.constant = constant
        batchScale = []; batchShift = []
        let n = c.count
        var lo = [Double](repeating: 0, count: n), hi = lo
        switch operation {
        case .add:
            scale = [Double](repeating: 1, count: n); scaleError = 0; lo = c; hi = c
        case .subtract:
            scale = [Double](repeating: 1, count: n); scaleError = 0
            lo = c.map { -$0 }; hi = lo
        case .subtractFrom:
            scale = [Double](repeating: -1, count: n); scaleError = 0; lo = c; hi = c
        case .multiply:
            scale = c; scaleError = 0
        case .divide:
            guard c.allSatisfy({ $0 != 0 && $0.isFinite }) else { throw LayerError.invalid("Div: division by a zero or non-finite constant") }
            scale = c.map { 1 / $0 }; scaleError = FloatError.unitRoundoff
        case .batchNorm:
            fatalError("unreachable")
        }
        // The runtime's rounding of x + c is within r |x + c| <= r |x| + r |c|: the first part
        // rides on the scale's error, the second widens the shift.
        scaleError += runtimeRelativeError
        if runtimeRelativeError > 0 {
            for i in 0..<n where lo[i] != 0 || hi[i] != 0 {
                let w = (runtimeRelativeError * max(abs(lo[i]), abs(hi[i])) * (1 + 2 * FloatError.unitRoundoff)).nextUp
                lo[i] = (lo[i] - w).nextDown
                hi[i] = (hi[i] + w).nextUp
            }
        }
        shiftLower = lo
        shiftUpper = hi
    }

    /// BatchNormalization (inference): y = (x - mean) / sqrt(var + eps) * gamma + beta, each
    /// parameter per channel, expanded to one value per element.
    public init(batchNorm gamma: [Float], beta: [Float], mean: [Float], variance: [Float], epsilon: Float) throws {
        let n = gamma.count
        guard beta.count == n, mean.count == n, variance.count == n else {
            throw LayerError.invalid("BatchNormalization: parameter sizes differ")
        }
        operation = .batchNorm
        constant = []
        let u = FloatError.unitRoundoff
        var s = [Double](repeating: 0, count: n), lo = s, hi = s
        for i in 0..<n {
            guard Double(variance[i]) + Double(epsilon) > 0 else {
                throw LayerError.invalid("BatchNormalization: variance + epsilon is not positive")
            }
            let si = Double(gamma[i]) / (Double(variance[i]) + Double(epsilon)).squareRoot()
            s[i] = si
            // t = beta - mean * s*, |s* - s| <= 8u |s|.
            let ms = Double(mean[i]) * si
            let err = (abs(ms) * 10 * u + abs(Double(beta[i])) * u).nextUp + 4 * FloatError.eta
            lo[i] = (Double(beta[i]) - ms - err).nextDown
            hi[i] = (Double(beta[i]) - ms + err).nextUp
        }
        scale = s
        scaleError = 8 * u
        shiftLower = lo
        shiftUpper = hi
        batchScale = s.map { Float($0) }
        batchShift = (0..<n).map { Float(Double(beta[$0]) - Double(mean[$0]) * s[$0]) }
    }

    public var summary: String { "\(operation)(\(scale.count))" }
    public var parameterCount: Int { operation == .batchNorm ? 4 * scale.count : 0 }

    public func evaluate(_ inputs: [[Float]]) -> [Float] {
        let x = inputs[0]
        var y = [Float](repeating: 0, count: x.count)
        switch operation {
        case .add: for i in x.indices { y[i] = x[i] + constant[i] }
        case .subtract: for i in x.indices { y[i] = x[i] - constant[i] }
        case .subtractFrom: for i in x.indices { y[i] = constant[i] - x[i] }
        case .multiply: for i in x.indices { y[i] = x[i] * constant[i] }
        case .divide: for i in x.indices { y[i] = x[i] / constant[i] }
        case .batchNorm: for i in x.indices { y[i] = x[i] * batchScale[i] + batchShift[i] }
        }
        return y
    }

    public func propagate(_ inputs: [Bounds]) -> Bounds {
        let x = inputs[0]
        let u = FloatError.unitRoundoff
        var lo = x.lower, hi = x.upper
        for i in lo.indices {
            let s = scale[i]
            let p = s * x.lower[i], q = s * x.upper[i]
            let m = max(abs(x.lower[i]), abs(x.upper[i]))
            let err = ((scaleError * abs(s) * m) * (1 + 4 * u)).nextUp + 2 * FloatError.eta
            lo[i] = ((min(p, q).nextDown - err).nextDown + shiftLower[i]).nextDown
            hi[i] = ((max(p, q).nextUp + err).nextUp + shiftUpper[i]).nextUp
        }
        return Bounds(lower: lo, upper: hi)
    }

    public func backward(_ a: LinearRows, inputs: [Bounds]) -> BackwardStep {
        let n = a.columns
        let m = inputs[0].magnitude
        let u = FloatError.unitRoundoff
        let g = FloatError.gamma(n + 2)
        var out = a.values
        var constant = [Double](repeating: 0, count: a.rows)
        for r in 0..<a.rows {
            let base = r * n
            var sum = 0.0, mag = 0.0, productError = 0.0
            for j in 0..<n {
                let aj = out[base + j]
                if aj == 0 { continue }
                let p = aj * scale[j]
                out[base + j] = p
                productError += abs(p) * m[j]
                let t = aj * (aj > 0 ? shiftLower[j] : shiftUpper[j])
                sum += t
                mag += abs(t)
            }
            let err = (((u + scaleError * (1 + 2 * u)) * productError + g * (mag + productError)) * (1 + 4 * u)).nextUp
                + Double(2 * n + 4) * FloatError.eta
            constant[r] = (sum - err).nextDown
        }
        return BackwardStep(inputs: [LinearRows(rows: a.rows, columns: n, values: out)], constant: constant)
    }

    public func pullback(_ inputs: [[Float]], gradient: [Double]) -> [[Double]] {
        [gradient.indices.map { gradient[$0] * scale[$0] }]
    }
}
