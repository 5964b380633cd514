import Foundation

/// y = W x + b for a weight matrix W (outputs x inputs), dense (BLAS) or sparse (CSR).
///
/// Every linear operator (Gemm, MatMul, Conv, AveragePool, Pad, Transpose) is one of these, so
/// its interval transformer and backward relaxation, with their error terms, are written once.
///
/// Soundness. The real map is W* x + b with |W* - W| <= rho |W| elementwise, where rho =
/// `weightRelativeError` (0 when W holds the model's own float32 weights exactly; u when an
/// entry is a rounded quotient such as 1/9 in an average pool). Every product below is computed
/// in round-to-nearest Double (BLAS for dense maps) and made sound with the dot-product error
/// term gamma_n |a|.|b| (`FloatError`). rho may also carry a runtime's float32 evaluation error
/// (see `float32Accumulation`), applied to |W| |x| + |b|. The argument is in Proofs/AffineMap.md.
public struct AffineMap: Sendable {
    public enum Storage: Sendable {
        /// Row-major outputs x inputs.
        case dense([Double])
        /// Compressed sparse rows: row i's entries are at rowStart[i]..<rowStart[i+1].
        case sparse(rowStart: [Int], column: [Int], value: [Double])
    }

    public let outputs: Int
    public let inputs: Int
    public let storage: Storage
    public let bias: [Double]
    public let weightRelativeError: Double
    /// gamma_{n+2} for float32 (u = 2^-24), rounded up: the relative error, on |W| |x| + |b|, of a
    /// runtime that evaluates the map in float32 in any order.
    public static func float32Accumulation(_ n: Int) -> Double {
        let nu = Double(n + 2) * 0x1p-24
        return (nu / (1 - nu) * 1.01).nextUp
    }

    /// |W|, cached for the bound computations.
    let absolute: Storage
    /// Compacted copies of a dense W for backward steps (`CompactedWeights`).
    let compacted = CompactedWeights()
    /// W^T of a dense W, made on first use (``applyRows(_:count:)``).
    let transposed = TransposedWeights()

    public init(outputs: Int, inputs: Int, storage: Storage, bias: [Double]? = nil, weightRelativeError: Double = 0) {
        self.outputs = outputs
        self.inputs = inputs
        self.storage = storage
        self.bias = bias ?? [Double](repeating: 0, count: outputs)
        self.weightRelativeError = weightRelativeError
        switch storage {
        case .dense(let w):
            precondition(w.count == outputs * inputs, "AffineMap: dense weight size")
            absolute = .dense(w.map(abs))
        case .sparse(let rs, let col, let val):
            precondition(rs.count == outputs + 1 && col.count == val.count, "AffineMap: CSR layout")
            absolute = .sparse(rowStart: rs, column: col, value: val.map(abs))
        }
        precondition(self.bias.count == outputs, "AffineMap: bias size")
    }

    /// Number of stored weights.
    public var weightCount: Int {
        switch storage {
        case .dense(let w): return w.count
        case .sparse(_, let col, _): return col.count
        }
    }

    /// gamma for every product this map computes, plus the relative weight error.
    var errorFactor: Double {
        let g = FloatError.gamma(max(inputs, outputs) + 2)
        return ((2 * g + weightRelativeError * (1 + g)) * (1 + 4 * FloatError.unitRoundoff)).nextUp
    }

    /// W x with round-to-nearest (no bias).
    static func multiply(_ s: Storage, _ x: [Double], outputs: Int, inputs: Int) -> [Double] {
        switch s {
        case .dense(let w):
            return BLAS.multiply(w, vector: x, m: outputs, n: inputs)
        case .sparse(let rs, let col, let val):
            var y = [Double](repeating: 0, count: outputs)
            for i in 0..<outputs {
                var acc = 0.0
                for e in rs[i]..<rs[i + 1] { acc += val[e] * x[col[e]] }
                y[i] = acc
            }
            return y
        }
    }

    /// W x + b for each of `count` row-major inputs (count x inputs), round-to-nearest Double:
    /// the batched relaxed evaluation of ``BoundAnalysis/optimizedLowerBounds``, no soundness
    /// obligation.
    public func applyRows(_ x: [Double], count: Int) -> [Double] {
        var y: [Double]
        switch storage {
        case .dense(let w):
            let wt = transposed.weights { (0..<(inputs * outputs)).map { k in w[(k % outputs) * inputs + k / outputs] } }
            y = BLAS.multiply(x, wt, m: count, k: inputs, n: outputs)
        case .sparse:
            y = []
            y.reserveCapacity(count * outputs)
            for r in 0..<count { y += Self.multiply(storage, Array(x[(r * inputs)..<((r + 1) * inputs)]), outputs: outputs, inputs: inputs) }
        }
        for r in 0..<count {
            for i in 0..<outputs { y[r * outputs + i] += bias[i] }
        }
        return y
    }

    /// Concrete evaluation: Double accumulation of the float32 inputs, rounded once to float32.
    public func apply(_ x: [Float]) -> [Float] {
        let y = Self.multiply(storage, x.map(Double.init), outputs: outputs, inputs: inputs)
        var out = [Float](repeating: 0, count: outputs)
        for i in 0..<outputs { out[i] = Float(y[i] + bias[i]) }
        return out
    }

    /// Sound interval image of a box (center-radius form).
    public func propagate(_ x: Bounds) -> Bounds {
        let n = inputs
        var c = [Double](repeating: 0, count: n)
        var r = c
        var cr = c
        for j in 0..<n {
            let mid = 0.5 * x.lower[j] + 0.5 * x.upper[j]
            c[j] = mid
            r[j] = max(x.upper[j] - mid, mid - x.lower[j]).nextUp
            cr[j] = (abs(mid) + r[j]).nextUp
        }
        let wc: [Double], wr: [Double], mag: [Double]
        if case .dense(let w) = storage {
            // Inputs bounded [0, 0] are exactly 0: their columns are skipped when many.
            let support = (0..<n).filter { !(x.lower[$0] == 0 && x.upper[$0] == 0) }
            (wc, wr, mag) = Self.denseIntervalProducts(w, center: c, radius: r, magnitude: cr,
                                                       columns: support.count * 10 < n * 9 ? support : nil, outputs: outputs, inputs: n)
        } else {
            wc = Self.multiply(storage, c, outputs: outputs, inputs: n)
            wr = Self.multiply(absolute, r, outputs: outputs, inputs: n)
            mag = Self.multiply(absolute, cr, outputs: outputs, inputs: n)
        }
        let f = errorFactor
        var lo = [Double](repeating: 0, count: outputs)
        var hi = lo
        for i in 0..<outputs {
            let b = bias[i]
            let err = (f * (mag[i] + abs(b)) + 2 * FloatError.unitRoundoff * (abs(wc[i]) + wr[i] + abs(b))).nextUp
                + Double(n + 4) * FloatError.eta
            lo[i] = ((wc[i] - wr[i]) + b - err).nextDown
            hi[i] = ((wc[i] + wr[i]) + b + err).nextUp
        }
        return Bounds(lower: lo, upper: hi)
    }

    /// Backward substitution of y = W x + b into rows a (rows x outputs): a W on x and the
    /// sound constant a.b - (error terms), given bounds of x for the error terms.
    public func backward(_ a: LinearRows, input x: Bounds) -> BackwardStep {
        precondition(a.columns == outputs, "AffineMap.backward: \(a.columns) columns for \(outputs) outputs")
        let m = x.magnitude
        // v = |W| m + |b|, an estimate (its own error is inside errorFactor's second gamma),
        // needed only on the columns where some row of a is nonzero.
        let next: [Double], constant: [Double]
        switch storage {
        case .dense(let w):
            (next, constant) = Self.denseBackward(a, w, absolute: absolute, bias: bias, input: x, magnitude: m, inputs: inputs,
                                                  errorFactor: errorFactor, cache: compacted)
        case .sparse(let rs, let col, let val):
            let wm = Self.multiply(absolute, m, outputs: outputs, inputs: inputs)
            let v = (0..<outputs).map { wm[$0] + abs(bias[$0]) }
            var out = [Double](repeating: 0, count: a.rows * inputs)
            for r in 0..<a.rows {
                let ab = r * outputs, ob = r * inputs
                for k in 0..<outputs {
                    let ak = a.values[ab + k]
                    if ak == 0 { continue }
                    for e in rs[k]..<rs[k + 1] { out[ob + col[e]] += ak * val[e] }
                }
            }
            next = out
            constant = Self.backwardConstants(a.values, rows: a.rows, columns: outputs, bias: bias, v: v, errorFactor: errorFactor,
                                              eta: Double(outputs + inputs + 4) * FloatError.eta)
        }
        return BackwardStep(inputs: [LinearRows(rows: a.rows, columns: inputs, values: next)], constant: constant)
    }

    /// Transposed product g W (the gradient of g . y with respect to x).
    public func pullback(_ g: [Double]) -> [Double] {
        switch storage {
        case .dense(let w):
            return BLAS.multiply(g, w, m: 1, k: outputs, n: inputs)
        case .sparse(let rs, let col, let val):
            var out = [Double](repeating: 0, count: inputs)
            for k in 0..<outputs where g[k] != 0 {
                for e in rs[k]..<rs[k + 1] { out[col[e]] += g[k] * val[e] }
            }
            return out
        }
    }
}

/// A lazily made copy of a dense weight matrix, transposed (shared by the copies of a map).
final class TransposedWeights: @unchecked Sendable {
    private let lock = NSLock()
    private var cached: [Double]? = nil

    func weights(make: () -> [Double]) -> [Double] {
        lock.lock()
        defer { lock.unlock() }
        if let w = cached { return w }
        let w = make()
        cached = w
        return w
    }
}
