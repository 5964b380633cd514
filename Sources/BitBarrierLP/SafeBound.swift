import BitBarrierCore

/// A lower bound of an LP's minimum that holds whatever the solver's accuracy
/// (Neumaier and Shcherbina, *Safe bounds in linear and mixed-integer programming*, 2004).
///
/// For any multipliers y and every feasible x:
///   c . x = (c - A^T y) . x + y . (A x)
/// and y_i (A x)_i >= y_i rowLower_i when y_i >= 0, >= y_i rowUpper_i when y_i < 0 (a y_i whose
/// needed side is infinite is set to 0 first). With d = c - A^T y known to lie in [d~ - e, d~ + e]
/// (e the rigorous error of computing it) and x_j in [l_j, u_j]:
///   d . x >= sum_j min(d~_j l_j, d~_j u_j) - e_j max(|l_j|, |u_j|).
/// Every term is evaluated round-to-nearest and made sound with the dot-product error term, so
/// the result is a valid bound for *any* y: a good dual makes it tight, a bad one only weaker.
/// Proofs/SafeBound.md.
public enum SafeBound {
    public static func lowerBound(_ lp: LinearProgram, objective c: [Double], duals: [Double]) -> Double {
        let n = lp.variableCount
        precondition(c.count == n && duals.count == lp.rows.count, "SafeBound: size mismatch")
        var d = c
        var dMagnitude = c.map(abs)
        var rowTerm = 0.0, rowMagnitude = 0.0
        var counts = [Int](repeating: 1, count: n)
        for (i, row) in lp.rows.enumerated() {
            var y = duals[i]
            if !y.isFinite { y = 0 }
            let side = y >= 0 ? row.lower : row.upper
            if y == 0 || !side.isFinite { continue }
            let t = y * side
            rowTerm += t
            rowMagnitude += abs(t)
            for (col, a) in zip(row.columns, row.coefficients) {
                let p = a * y
                d[col] -= p
                dMagnitude[col] += abs(p)
                counts[col] += 1
            }
        }
        var total = rowTerm
        var magnitude = rowMagnitude
        var errors = FloatError.dotProduct(length: lp.rows.count + 1, magnitude: rowMagnitude)
        for j in 0..<n {
            // d_j accumulated from counts[j] terms: error <= gamma_k (|c_j| + sum |a_ij y_i|).
            let e = FloatError.dotProduct(length: counts[j] + 1, magnitude: dMagnitude[j])
            let (l, u) = (lp.lower[j], lp.upper[j])
            let t = min(d[j] * l, d[j] * u)
            total += t
            magnitude += abs(t)
            errors += (e * max(abs(l), abs(u))).nextUp
        }
        let err = (FloatError.dotProduct(length: n + 2, magnitude: magnitude) + errors * (1 + 8 * FloatError.unitRoundoff)).nextUp
        return (total - err).nextDown
    }
}
