/// Linear lower and upper bounds of an elementwise function on each neuron's input interval:
/// lowerSlope[j] * x + lowerIntercept[j] <= f(x) <= upperSlope[j] * x + upperIntercept[j]
/// for every real x in [l_j, u_j].
///
/// ReLU, Sigmoid and Tanh each produce one of these (with intercepts made sound by the layer);
/// the backward step that consumes it, with its error terms, is written once here.
public struct ElementwiseRelaxation: Sendable {
    public var lowerSlope: [Double]
    public var lowerIntercept: [Double]
    public var upperSlope: [Double]
    public var upperIntercept: [Double]

    public init(count: Int) {
        lowerSlope = [Double](repeating: 0, count: count)
        lowerIntercept = lowerSlope
        upperSlope = lowerSlope
        upperIntercept = lowerSlope
    }

    /// clamp(round_half_even(t), qmin, qmax): the bin a real pre-rounding value t lands in.
    public static func roundingBin(_ t: Double, qmin: Float, qmax: Float) -> Double {
        min(max(t.rounded(.toNearestOrEven), Double(qmin)), Double(qmax))
    }

    /// The relaxation of y = clamp(round_half_even(T), qmin, qmax) on each T in [t.lower, t.upper],
    /// where the runtime's T is within `band` of the real affine value the lines are written in
    /// (QLinearAdd, QLinearAveragePool): one bin or possible saturation gives the constant bounds
    /// [Q(lo), Q(hi)]; otherwise T - 1/2 - band <= y <= T + 1/2 + band. Proofs/Quantize.md.
    public static func rounding(_ t: Bounds, band e: [Double], qmin: Float, qmax: Float) -> ElementwiseRelaxation {
        func bin(_ v: Double) -> Double { roundingBin(v, qmin: qmin, qmax: qmax) }
        var r = ElementwiseRelaxation(count: t.count)
        for i in 0..<t.count {
            let (qa, qb) = (bin(t.lower[i]), bin(t.upper[i]))
            let unsaturated = t.lower[i].rounded(.toNearestOrEven) >= Double(qmin) && t.upper[i].rounded(.toNearestOrEven) <= Double(qmax)
            if qa == qb || !unsaturated {
                r.lowerIntercept[i] = qa
                r.upperIntercept[i] = qb
            } else {
                r.lowerSlope[i] = 1
                r.upperSlope[i] = 1
                r.lowerIntercept[i] = (-0.5 - e[i]).nextDown
                r.upperIntercept[i] = (0.5 + e[i]).nextUp
            }
        }
        return r
    }

    /// Substitutes the relaxation into rows `a` (a lower bound of a . y is wanted): a
    /// nonnegative coefficient takes the lower line, a negative one the upper line.
    ///
    /// Columns whose two lines are both y = x (a stable active ReLU) or both y = 0 (an inactive
    /// one) are exact: the coefficient is kept or zeroed, no product, no error. On the other
    /// columns the products a_j * slope_j are rounded (error <= u |product| + eta each, times
    /// |x_j| <= m_j) and the constant sum_j a_j * intercept_j has the dot-product error; both are
    /// subtracted from the constant, which is then rounded down.
    ///
    /// `rowLowerSlopes` (rows x n, alpha-CROWN's slopes) replaces `lowerSlope` row by row on the
    /// general columns; the caller guarantees each value makes a sound lower line (for an
    /// unstable ReLU with intercept 0: any slope in [0, 1]). The error terms are the same.
    ///
    /// `exact` lists entries (row, column) where the row's domain fixes the function to y = x
    /// (`identity`) or y = 0 (a split ReLU of a batch row, ``ReLUMultipliers/holds``): the
    /// coefficient is kept or zeroed there, exactly, like a stable column.
    public func backward(_ a: LinearRows, input x: Bounds, rowLowerSlopes: [Double]? = nil,
                         exact: [(row: Int, column: Int, identity: Bool)] = []) -> BackwardStep {
        precondition(rowLowerSlopes == nil || rowLowerSlopes!.count == a.rows * a.columns, "rowLowerSlopes: size mismatch")
        let n = a.columns
        let m = x.magnitude
        var zeroed: [Int] = [], general: [Int] = []
        for j in 0..<n {
            let intercepts = lowerIntercept[j] == 0 && upperIntercept[j] == 0
            if intercepts && lowerSlope[j] == 1 && upperSlope[j] == 1 { continue }
            if intercepts && lowerSlope[j] == 0 && upperSlope[j] == 0 { zeroed.append(j) } else { general.append(j) }
        }
        var out = a.values
        var constant = [Double](repeating: 0, count: a.rows)
        let g = FloatError.gamma(n + 2)
        let u = FloatError.unitRoundoff
        let eta = Double(2 * n + 4) * FloatError.eta
        let perRow = rowLowerSlopes != nil
        var exactByRow: [Int: [(column: Int, identity: Bool)]] = [:]
        for e in exact { exactByRow[e.row, default: []].append((e.column, e.identity)) }
        (rowLowerSlopes ?? []).withUnsafeBufferPointer { rs in
        lowerSlope.withUnsafeBufferPointer { ls in
        lowerIntercept.withUnsafeBufferPointer { li in
        upperSlope.withUnsafeBufferPointer { us in
        upperIntercept.withUnsafeBufferPointer { ui in
        out.withUnsafeMutableBufferPointer { ov in
            for r in 0..<a.rows {
                let row = ov.baseAddress! + r * n
                // Exact entries leave the general loop (a zero coefficient adds nothing) and
                // take their own value after it.
                let fixed = exactByRow[r]?.map { (j, identity) in (j, identity ? row[j] : 0) } ?? []
                for (j, _) in fixed { row[j] = 0 }
                for j in zeroed { row[j] = 0 }
                var s = 0.0, mag = 0.0, productError = 0.0
                let slopes = perRow ? rs.baseAddress! + r * n : ls.baseAddress!
                for j in general {
                    let aj = row[j]
                    if aj == 0 { continue }
                    let positive = aj > 0
                    let p = aj * (positive ? slopes[j] : us[j])
                    row[j] = p
                    productError += abs(p) * m[j]
                    let t = aj * (positive ? li[j] : ui[j])
                    s += t
                    mag += abs(t)
                }
                let err = ((u * productError + g * (mag + productError)) * (1 + 4 * u)).nextUp + eta
                constant[r] = (s - err).nextDown
                for (j, value) in fixed { row[j] = value }
            }
        }
        }
        }
        }
        }
        }
        return BackwardStep(inputs: [LinearRows(rows: a.rows, columns: n, values: out)], constant: constant)
    }
}
