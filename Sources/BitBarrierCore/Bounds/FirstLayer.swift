import Foundation

/// The dense affine node through which every backward pass reaches the input, with what its
/// backward step needs prepared once instead of on every pass.
///
/// The first layer's step is the largest product of a CROWN pass (rows x K x inputs: 73 of 97
/// MFLOP per input on mnist-net_256x6), and `AffineMap.denseBackward` also copies the rows of W
/// that some row of a uses (K x inputs doubles) and recomputes |W| m on every pass. Here:
/// - |W| m + |b| (`AffineMap.backward`'s error weights v) is computed once per input box;
/// - W with only the columns of a that are nonzero (the first layer's neurons that are not
///   inactive, the same on every pass of one box) is kept for the last few column sets.
/// The step itself is `AffineMap.backward`'s, with the same error term (Proofs/AffineMap.md).
///
/// It exists when node i is an affine layer with a dense W of at least 64 x 64, reading the
/// input directly or through reshapes only, and no later node reads the input or those
/// reshapes: once a pass reaches node i, no rows are pending anywhere else, and node i's input
/// bounds are the box itself (reshapes are exact). The caches sit behind a lock: branch and
/// bound's workers share one analysis.
public final class FirstLayer: @unchecked Sendable {
    public let node: Int
    let map: AffineMap
    private let weights: [Double]
    private let lock = NSLock()
    private var images: [(box: Bounds, image: BoxImage)] = []
    private static let kept = 4

    init?(network: Network) {
        guard let i = network.nodes.indices.first(where: { !(network.nodes[$0].layer is Reshape) }),
              let affine = network.nodes[i].layer as? any AffineLayer,
              case .dense(let w) = affine.map.storage,
              affine.map.inputs >= 64, affine.map.outputs >= 64 else { return nil }
        // Node i reads the input through the chain of reshapes 0..<i, and nothing else reads them.
        for j in 0...i where network.nodes[j].inputs != [j == 0 ? .input : .node(j - 1)] { return nil }
        for k in (i + 1)..<network.nodes.count {
            for ref in network.nodes[k].inputs {
                switch ref {
                case .input: return nil
                case .node(let j): if j < i { return nil }
                }
            }
        }
        node = i
        map = affine.map
        weights = w
    }

    /// What the box contributes to every row, for the box x = c + d, |d| <= r:
    /// s = W c + b with the bound e on its error, and |W| r.
    struct BoxImage {
        let radius: [Double]
        let centre: [Double], centreMagnitude: [Double], centreError: [Double]
        /// An upper bound of |W| r, per output.
        let spread: [Double]
        /// An upper bound of sum_j r_j.
        let radiusSum: Double
    }

    /// Sound lower bounds of a . (W x + b) + constant over the box x, or nil for unit rows
    /// (+/- e_k: a gather of W, done by `AffineMap.backward` without a product) and boxes with
    /// infinite bounds.
    ///
    /// a . (W x + b) = a . s + (a W) . d >= a . s - |a W| . r, and with P = fl(a W) (dgemm),
    /// |a W| <= |P| + (gamma_K + w) |a| |W| (w: the weights' relative error), so
    ///
    ///     bound = a . s - |P| . r - (gamma_K + w) |a| . (|W| r) - |a| . e - rounding,
    ///
    /// one read of P per row instead of `LinearRows.minimum`'s two-sided pass.
    func lowerBounds(_ a: LinearRows, box x: Bounds, plus constant: [Double]) -> [Double]? {
        guard a.unitRows() == nil, let image = image(x) else { return nil }
        let (rows, k, n) = (a.rows, map.outputs, map.inputs)
        if rows == 0 { return [] }
        let live = a.nonzeroColumns()
        // The rows on their live columns only (all k when 90% or more are live): the dropped
        // terms are exact zeros in a W and in every sum below.
        let compact = live.count * 10 < k * 9
        let columns = compact ? live : Array(0..<k)
        let m = columns.count
        let rowsOnLive = !compact ? a.values : [Double](unsafeUninitializedCapacity: rows * m) { out, count in
            a.values.withUnsafeBufferPointer { av in
                for r in 0..<rows {
                    let from = av.baseAddress! + r * k, to = out.baseAddress! + r * m
                    for (c, j) in live.enumerated() { to[c] = from[j] }
                }
            }
            count = rows * m
        }
        let product = BLAS.multiply(rowsOnLive, compact ? map.compacted.weights(rows: live, columns: nil, magnitude: nil) { (Self.rows(live, of: weights, width: n), nil) }.0 : weights, m: rows, k: m, n: n)
        let gk = FloatError.gamma(k + 2), gn = FloatError.gamma(n + 2)
        let f = ((gk + map.weightRelativeError) * (1 + 4 * FloatError.unitRoundoff)).nextUp
        // s, |s| and q_j = e_j + f (|W| r)_j (everything that multiplies |a_j|) on those columns.
        let centre = columns.map { image.centre[$0] }, centreMagnitude = columns.map { image.centreMagnitude[$0] }
        let q = columns.map { ((image.centreError[$0] + f * image.spread[$0]) * (1 + 4 * FloatError.unitRoundoff)).nextUp }
        var result = [Double](repeating: 0, count: rows)
        rowsOnLive.withUnsafeBufferPointer { av in
        product.withUnsafeBufferPointer { pv in
        image.radius.withUnsafeBufferPointer { rv in
        centre.withUnsafeBufferPointer { sv in
        centreMagnitude.withUnsafeBufferPointer { smv in
        q.withUnsafeBufferPointer { qv in
            for row in 0..<rows {
                let ar = av.baseAddress! + row * m
                // a . s, sum |a| |s| and sum |a| q in one pass.
                var t = 0.0, mag = 0.0, err = 0.0
                for j in 0..<m {
                    let y = ar[j], z = Swift.abs(y)
                    t += y * sv[j]
                    mag += z * smv[j]
                    err += z * qv[j]
                }
                // sum_j |P_j| r_j in four lanes.
                let pr = pv.baseAddress! + row * n
                var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
                var j = 0
                while j + 4 <= n {
                    s0 += Swift.abs(pr[j]) * rv[j]; s1 += Swift.abs(pr[j + 1]) * rv[j + 1]
                    s2 += Swift.abs(pr[j + 2]) * rv[j + 2]; s3 += Swift.abs(pr[j + 3]) * rv[j + 3]
                    j += 4
                }
                var spread = (s0 + s1) + (s2 + s3)
                while j < n { spread += Swift.abs(pr[j]) * rv[j]; j += 1 }
                // fl(a . s) is within gamma_k sum |a||s| of a . s; each computed nonnegative sum
                // is within a factor (1 + 2 gamma) of its exact value; underflow in P adds at most
                // K eta per entry, K eta sum r in all.
                let total = ((gk * mag + err + spread) * (1 + 2 * max(gk, gn)) * (1 + 4 * FloatError.unitRoundoff)).nextUp
                    + (Double(k) * image.radiusSum).nextUp * FloatError.eta + Double(2 * k + 2 * n + 8) * FloatError.eta
                result[row] = (constant[row] + (t - total).nextDown).nextDown
            }
        }
        }
        }
        }
        }
        }
        return result
    }

    /// The interval image of the box (IBP of node i) from the box's image, which the CROWN passes
    /// of the same box need anyway: W* x + b lies in (W* c + b) +/- |W*| r, with
    /// |s - (W* c + b)| <= e and |W*| r <= (1 + rho) (|W| r)'s upper bound. Nil when the box is
    /// not finite.
    func intervalBounds(_ x: Bounds) -> Bounds? {
        guard let image = image(x) else { return nil }
        let rho = map.weightRelativeError
        var lower = [Double](repeating: 0, count: map.outputs), upper = lower
        for i in 0..<map.outputs {
            let spread = (image.spread[i] * (1 + rho)).nextUp
            lower[i] = ((image.centre[i] - image.centreError[i]).nextDown - spread).nextDown
            upper[i] = ((image.centre[i] + image.centreError[i]).nextUp + spread).nextUp
        }
        return Bounds(lower: lower, upper: upper)
    }

    /// The box's image, one pass over W, computed once per box.
    private func image(_ x: Bounds) -> BoxImage? {
        lock.lock()
        if let hit = images.first(where: { $0.box == x }) { lock.unlock(); return hit.image }
        lock.unlock()
        let n = map.inputs
        guard x.count == n, x.lower.allSatisfy(\.isFinite), x.upper.allSatisfy(\.isFinite) else { return nil }
        var c = [Double](repeating: 0, count: n), r = c
        for j in 0..<n {
            let (l, u) = (x.lower[j], x.upper[j])
            c[j] = l + (u - l) / 2
            // One rounded subtraction is within half an ulp of the exact difference.
            r[j] = max(max(u - c[j], c[j] - l).nextUp, 0)
        }
        let (wc, wr, mag) = AffineMap.denseIntervalProducts(weights, center: c, radius: r, magnitude: c.map(Swift.abs), columns: nil,
                                                             outputs: map.outputs, inputs: n)
        // s = W c + b with `AffineMap.propagate`'s error term for the centre of the IBP image.
        let f = map.errorFactor, g = FloatError.gamma(n + 2)
        var s = [Double](repeating: 0, count: map.outputs), sm = s, se = s, spread = s
        for i in 0..<map.outputs {
            let b = map.bias[i]
            s[i] = wc[i] + b
            sm[i] = Swift.abs(s[i])
            se[i] = (f * (mag[i] + Swift.abs(b)) + 2 * FloatError.unitRoundoff * (Swift.abs(wc[i]) + Swift.abs(b))).nextUp
                + Double(n + 4) * FloatError.eta
            spread[i] = (wr[i] * (1 + g)).nextUp + Double(n + 1) * FloatError.eta
        }
        let radiusSum = (r.reduce(0, +) * (1 + FloatError.gamma(n + 1))).nextUp
        let image = BoxImage(radius: r, centre: s, centreMagnitude: sm, centreError: se, spread: spread, radiusSum: radiusSum)
        lock.lock()
        images.append((x, image))
        if images.count > Self.kept { images.removeFirst() }
        lock.unlock()
        return image
    }

    /// The given rows of a row-major matrix of the given width, in order.
    static func rows(_ indices: [Int], of w: [Double], width n: Int) -> [Double] {
        [Double](unsafeUninitializedCapacity: indices.count * n) { out, count in
            w.withUnsafeBufferPointer { wv in
                for (c, j) in indices.enumerated() {
                    (out.baseAddress! + c * n).update(from: wv.baseAddress! + j * n, count: n)
                }
            }
            count = indices.count * n
        }
    }
}
