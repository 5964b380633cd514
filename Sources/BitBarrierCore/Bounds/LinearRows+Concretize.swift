extension LinearRows {
    /// Sound lower bound of each row's minimum over a box: sum_j min(a_j l_j, a_j u_j) + constant.
    ///
    /// Computed round-to-nearest; the error of the n products and the sum of n + 1 terms is at
    /// most gamma_{n+2} times the sum of magnitudes, which is subtracted before rounding down.
    public func minimum(over box: Bounds, plus constant: [Double]) -> [Double] {
        precondition(box.count == columns && constant.count == rows, "LinearRows.minimum: size mismatch")
        let g = FloatError.gamma(columns + 2)
        var result = [Double](repeating: 0, count: rows)
        values.withUnsafeBufferPointer { a in
            for r in 0..<rows {
                var s = constant[r], mag = abs(constant[r])
                let base = r * columns
                for j in 0..<columns {
                    let aj = a[base + j]
                    if aj == 0 { continue }
                    let t = aj >= 0 ? aj * box.lower[j] : aj * box.upper[j]
                    s += t
                    mag += abs(t)
                }
                let err = (g * mag * (1 + 4 * FloatError.unitRoundoff)).nextUp + Double(columns + 2) * FloatError.eta
                result[r] = (s - err).nextDown
            }
        }
        return result
    }

    /// Adds `other` in place; returns the sound bound on the rounding error of each row's sum
    /// applied to a value of magnitude at most `magnitude` (u |a + b| . m per row).
    mutating func add(_ other: LinearRows, magnitude: [Double]) -> [Double] {
        precondition(other.rows == rows && other.columns == columns, "LinearRows.add: shape mismatch")
        var error = [Double](repeating: 0, count: rows)
        for r in 0..<rows {
            var e = 0.0
            for j in 0..<columns {
                let k = r * columns + j
                let s = values[k] + other.values[k]
                values[k] = s
                e += abs(s) * magnitude[j]
            }
            error[r] = ((e * FloatError.unitRoundoff) * (1 + FloatError.gamma(columns + 2))).nextUp
                + Double(columns) * FloatError.eta
        }
        return error
    }
}
