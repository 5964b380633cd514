import Foundation

extension AffineMap {
    /// a W for a dense W (row-major outputs x inputs), and the error weights
    /// v_k = |W_k| . m + |b_k| on every column k of a that is nonzero in some row (0 on the
    /// others: no row reads them, so no error term uses them).
    ///
    /// - Inputs whose bounds are [0, 0] (after inactive ReLUs) are exactly 0 for every point of
    ///   the box: their coefficients are left at 0 and never computed (m_j = 0 there, so v is
    ///   unchanged). Between two ReLU layers this skips most of the product's columns.
    /// - Rows +/- e_k (the first step when bounding a layer's neurons): a W is a signed gather
    ///   of rows of W, exact, no product.
    /// - Otherwise the columns of a that are zero in every row (outputs no row depends on:
    ///   inactive ReLUs upstream) are left out: a W = sum over k of a[:, k] W[k, :], and the
    ///   dropped terms are exact zeros. The kept rows of W are copied once for the product and
    ///   v is computed in the same pass over them, instead of a pass over all of |W|.
    /// - With 90% of the columns or more live (and of the inputs): the plain product, and
    ///   |W| m as one matrix-vector product.
    ///
    /// v is a round-to-nearest estimate in any summation order; its error is covered by
    /// `errorFactor` (Proofs/AffineMap.md).
    ///
    /// Returns a W and the sound constant of each row (`backwardConstants`), computed on the
    /// columns of a that are nonzero (the others add exact zeros): for unit rows one term.
    static func denseBackward(_ a: LinearRows, _ w: [Double], absolute: Storage, bias: [Double],
                              input x: Bounds, magnitude m: [Double], inputs: Int, errorFactor f: Double,
                              cache: CompactedWeights) -> (product: [Double], constant: [Double]) {
        let (rows, k) = (a.rows, a.columns)
        let etaTerm = Double(k + inputs + 4) * FloatError.eta
        var v = [Double](repeating: 0, count: k)
        let support = (0..<inputs).filter { !(x.lower[$0] == 0 && x.upper[$0] == 0) }
        let columns: [Int]? = support.count * 10 < inputs * 9 ? support : nil
        if let units = a.unitRows() {
            let product = [Double](unsafeUninitializedCapacity: rows * inputs) { out, count in
                if columns != nil { out.initialize(repeating: 0) }
                w.withUnsafeBufferPointer { wv in
                m.withUnsafeBufferPointer { mv in
                    for (r, (j, sign)) in units.enumerated() {
                        let weights = copyRow(wv.baseAddress! + j * inputs, columns: columns, to: out.baseAddress! + r * inputs,
                                              scattered: true, sign: sign, magnitude: mv.baseAddress!, count: inputs)
                        v[j] = weights + abs(bias[j])
                    }
                }
                }
                count = rows * inputs
            }
            let constant = units.map { (j, sign) in (sign * bias[j] - ((f * v[j]).nextUp + etaTerm)).nextDown }
            return (product, constant)
        }
        let kept = a.nonzeroColumns()
        if kept.count * 10 >= k * 9 && columns == nil {
            let wm = multiply(absolute, m, outputs: k, inputs: inputs)
            for j in 0..<k { v[j] = wm[j] + abs(bias[j]) }
            let constant = backwardConstants(a.values, rows: rows, columns: k, bias: bias, v: v, errorFactor: f, eta: etaTerm)
            return (BLAS.multiply(a.values, w, m: rows, k: k, n: inputs), constant)
        }
        let n = kept.count, width = columns?.count ?? inputs
        let ac = [Double](unsafeUninitializedCapacity: rows * n) { out, count in
            a.values.withUnsafeBufferPointer { av in
            kept.withUnsafeBufferPointer { kv in
                for r in 0..<rows {
                    let from = av.baseAddress! + r * k, to = out.baseAddress! + r * n
                    for c in 0..<n { to[c] = from[kv[c]] }
                }
            }
            }
            count = rows * n
        }
        // The kept rows of W (on the live inputs) and their v: the same on every pass through
        // this layer for one set of bounds, so they are made once and reused.
        let (wc, vKept) = cache.weights(rows: kept, columns: columns, magnitude: m) {
            var vKept = [Double](repeating: 0, count: n)
            let wc = [Double](unsafeUninitializedCapacity: n * width) { out, count in
                w.withUnsafeBufferPointer { wv in
                m.withUnsafeBufferPointer { mv in
                    for (c, j) in kept.enumerated() {
                        let weights = copyRow(wv.baseAddress! + j * inputs, columns: columns, to: out.baseAddress! + c * width,
                                              scattered: false, sign: 1, magnitude: mv.baseAddress!, count: inputs)
                        vKept[c] = weights + abs(bias[j])
                    }
                }
                }
                count = n * width
            }
            return (wc, vKept)
        }
        let constant = backwardConstants(ac, rows: rows, columns: n, bias: kept.map { bias[$0] }, v: vKept ?? [],
                                         errorFactor: f, eta: etaTerm)
        let product = BLAS.multiply(ac, wc, m: rows, k: n, n: width)
        guard let columns else { return (product, constant) }
        let full = [Double](unsafeUninitializedCapacity: rows * inputs) { out, count in
            out.initialize(repeating: 0)
            product.withUnsafeBufferPointer { pv in
                for r in 0..<rows {
                    let from = pv.baseAddress! + r * width, to = out.baseAddress! + r * inputs
                    for (c, j) in columns.enumerated() { to[j] = from[c] }
                }
            }
            count = rows * inputs
        }
        return (full, constant)
    }

    /// The constant of each row r of a backward step: a_r . b minus the error bound
    /// f sum_k |a_rk| v_k (+ the underflow term `eta`), rounded down (Proofs/AffineMap.md).
    /// `a` may hold only some columns of the rows (with the matching entries of b and v): the
    /// others are zeros, which add nothing to either sum.
    static func backwardConstants(_ a: [Double], rows: Int, columns n: Int, bias: [Double], v: [Double],
                                  errorFactor f: Double, eta: Double) -> [Double] {
        var constant = [Double](repeating: 0, count: rows)
        a.withUnsafeBufferPointer { av in
        bias.withUnsafeBufferPointer { bv in
        v.withUnsafeBufferPointer { vv in
            for r in 0..<rows {
                let (s, mag) = FloatError.dotAndMagnitude(av.baseAddress! + r * n, bv.baseAddress!, vv.baseAddress!, count: n)
                constant[r] = (s - ((f * mag).nextUp + eta)).nextDown
            }
        }
        }
        }
        return constant
    }

    /// Writes sign * src[j] (sign is +1 or -1: exact) for j in `columns` (every j < n when nil)
    /// to dst[j] (`scattered`) or to dst[0], dst[1], ... in order, and returns
    /// sum_j |src_j| m_j over those j in round-to-nearest, four lanes at a time (an estimate;
    /// any order).
    @inline(__always)
    static func copyRow(_ src: UnsafePointer<Double>, columns: [Int]?, to dst: UnsafeMutablePointer<Double>, scattered: Bool,
                        sign: Double, magnitude m: UnsafePointer<Double>, count n: Int) -> Double {
        if let columns {
            var total = 0.0
            for (c, j) in columns.enumerated() {
                let x = src[j]
                dst[scattered ? j : c] = sign * x
                total += abs(x) * m[j]
            }
            return total
        }
        var t0 = 0.0, t1 = 0.0, t2 = 0.0, t3 = 0.0
        var j = 0
        while j + 4 <= n {
            let x0 = src[j], x1 = src[j + 1], x2 = src[j + 2], x3 = src[j + 3]
            dst[j] = sign * x0; dst[j + 1] = sign * x1; dst[j + 2] = sign * x2; dst[j + 3] = sign * x3
            t0 += abs(x0) * m[j]; t1 += abs(x1) * m[j + 1]; t2 += abs(x2) * m[j + 2]; t3 += abs(x3) * m[j + 3]
            j += 4
        }
        var total = (t0 + t1) + (t2 + t3)
        while j < n {
            dst[j] = sign * src[j]
            total += abs(src[j]) * m[j]
            j += 1
        }
        return total
    }

    /// (W c, |W| r, |W| cr) for a dense W in one pass over W (|W| taken on the fly), visiting
    /// only the given input columns when `columns` is not nil (the others are inputs bounded
    /// [0, 0], exactly 0 on the box). Round-to-nearest in four lanes: `propagate`'s error term
    /// holds for any summation order.
    static func denseIntervalProducts(_ w: [Double], center c: [Double], radius r: [Double], magnitude cr: [Double],
                                      columns: [Int]?, outputs: Int, inputs n: Int) -> (wc: [Double], wr: [Double], mag: [Double]) {
        var wc = [Double](repeating: 0, count: outputs), wr = wc, mag = wc
        w.withUnsafeBufferPointer { wv in
        c.withUnsafeBufferPointer { cv in
        r.withUnsafeBufferPointer { rv in
        cr.withUnsafeBufferPointer { qv in
            for i in 0..<outputs {
                let row = wv.baseAddress! + i * n
                var s0 = 0.0, s1 = 0.0, t0 = 0.0, t1 = 0.0, q0 = 0.0, q1 = 0.0
                if let columns {
                    let count = columns.count
                    var k = 0
                    while k + 2 <= count {
                        let j0 = columns[k], j1 = columns[k + 1]
                        let w0 = row[j0], w1 = row[j1]
                        let a0 = abs(w0), a1 = abs(w1)
                        s0 += w0 * cv[j0]; s1 += w1 * cv[j1]
                        t0 += a0 * rv[j0]; t1 += a1 * rv[j1]
                        q0 += a0 * qv[j0]; q1 += a1 * qv[j1]
                        k += 2
                    }
                    if k < count {
                        let j = columns[k], x = row[j]
                        s0 += x * cv[j]; t0 += abs(x) * rv[j]; q0 += abs(x) * qv[j]
                    }
                } else {
                    var s2 = 0.0, s3 = 0.0, t2 = 0.0, t3 = 0.0, q2 = 0.0, q3 = 0.0
                    var j = 0
                    while j + 4 <= n {
                        let w0 = row[j], w1 = row[j + 1], w2 = row[j + 2], w3 = row[j + 3]
                        let a0 = abs(w0), a1 = abs(w1), a2 = abs(w2), a3 = abs(w3)
                        s0 += w0 * cv[j]; s1 += w1 * cv[j + 1]; s2 += w2 * cv[j + 2]; s3 += w3 * cv[j + 3]
                        t0 += a0 * rv[j]; t1 += a1 * rv[j + 1]; t2 += a2 * rv[j + 2]; t3 += a3 * rv[j + 3]
                        q0 += a0 * qv[j]; q1 += a1 * qv[j + 1]; q2 += a2 * qv[j + 2]; q3 += a3 * qv[j + 3]
                        j += 4
                    }
                    while j < n {
                        let x = row[j]
                        s0 += x * cv[j]; t0 += abs(x) * rv[j]; q0 += abs(x) * qv[j]
                        j += 1
                    }
                    s0 += s2; s1 += s3; t0 += t2; t1 += t3; q0 += q2; q1 += q3
                }
                wc[i] = s0 + s1
                wr[i] = t0 + t1
                mag[i] = q0 + q1
            }
        }
        }
        }
        }
        return (wc, wr, mag)
    }
}

/// Rows of a dense W restricted to a set of rows (the columns of a backward step's rows that are
/// nonzero) and of inputs (those not bounded [0, 0]), with the error weights v of those rows for
/// the input magnitudes m, kept for the last few sets. Every backward pass through a layer for
/// one set of node bounds uses the same sets (the neurons not proved inactive), so the copy is
/// made once per layer and bounds instead of once per pass. Behind a lock: branch and bound's
/// workers share one analysis.
final class CompactedWeights: @unchecked Sendable {
    private struct Entry {
        let rows: [Int], columns: [Int]?, magnitude: [Double]?
        let weights: [Double], v: [Double]?
    }
    private let lock = NSLock()
    private var entries: [Entry] = []
    private static let capacity = 4

    /// The compacted weights (and v, when `magnitude` is given) for these sets, made by `make`
    /// on a miss.
    func weights(rows: [Int], columns: [Int]?, magnitude: [Double]?, make: () -> ([Double], [Double]?)) -> ([Double], [Double]?) {
        lock.lock()
        if let hit = entries.first(where: { $0.rows == rows && $0.columns == columns && $0.magnitude == magnitude }) {
            lock.unlock()
            return (hit.weights, hit.v)
        }
        lock.unlock()
        let (w, v) = make()
        lock.lock()
        entries.append(Entry(rows: rows, columns: columns, magnitude: magnitude, weights: w, v: v))
        if entries.count > Self.capacity { entries.removeFirst() }
        lock.unlock()
        return (w, v)
    }
}
