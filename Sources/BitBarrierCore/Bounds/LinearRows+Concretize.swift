extension LinearRows {
    /// Sound lower bound of each row's minimum over a box: sum_j min(a_j l_j, a_j u_j) + constant.
    ///
    /// Computed round-to-nearest; the error of the n products and the sum of n + 1 terms is at
    /// most gamma_{n+2} times the sum of magnitudes, which is subtracted before rounding down.
    public func minimum(over box: Bounds, plus constant: [Double]) -> [Double] {
        precondition(box.count == columns && constant.count == rows, "LinearRows.minimum: size mismatch")
        let g = FloatError.gamma(columns + 2)
        var result = [Double](repeating: 0, count: rows)
        let n = columns
        // The lanes multiply zero coefficients too: only with finite bounds (0 * inf is NaN).
        let lanes = box.lower.allSatisfy(\.isFinite) && box.upper.allSatisfy(\.isFinite) ? n : 0
        values.withUnsafeBufferPointer { a in
        box.lower.withUnsafeBufferPointer { lo in
        box.upper.withUnsafeBufferPointer { hi in
            for r in 0..<rows {
                // t_j = a_j l_j or a_j u_j by sign (the other product is an exact 0), four lanes
                // at a time; the bound below holds for any summation order.
                let row = a.baseAddress! + r * n
                var s4 = SIMD4<Double>(repeating: 0), m4 = SIMD4<Double>(repeating: 0)
                let zero = SIMD4<Double>(repeating: 0)
                var j = 0
                while j + 4 <= lanes {
                    let av = SIMD4<Double>(row[j], row[j + 1], row[j + 2], row[j + 3])
                    let t = av.replacing(with: zero, where: av .< zero) * SIMD4<Double>(lo[j], lo[j + 1], lo[j + 2], lo[j + 3])
                        + av.replacing(with: zero, where: av .> zero) * SIMD4<Double>(hi[j], hi[j + 1], hi[j + 2], hi[j + 3])
                    s4 += t
                    m4 += SIMD4<Double>(abs(t[0]), abs(t[1]), abs(t[2]), abs(t[3]))
                    j += 4
                }
                var s = constant[r] + ((s4[0] + s4[1]) + (s4[2] + s4[3]))
                var mag = abs(constant[r]) + ((m4[0] + m4[1]) + (m4[2] + m4[3]))
                while j < n {
                    let aj = row[j]
                    if aj != 0 {
                        let t = aj >= 0 ? aj * lo[j] : aj * hi[j]
                        s += t
                        mag += abs(t)
                    }
                    j += 1
                }
                let err = (g * mag * (1 + 4 * FloatError.unitRoundoff)).nextUp + Double(columns + 2) * FloatError.eta
                result[r] = (s - err).nextDown
            }
        }
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
