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
        // Columns whose bounds are [0, 0] (inactive ReLUs) contribute exactly 0: with many of
        // them, only the others are visited.
        let support = (0..<n).filter { !(box.lower[$0] == 0 && box.upper[$0] == 0) }
        if lanes == n && support.count * 4 < n * 3 {
            return minimum(over: box, columns: support, plus: constant, gamma: g)
        }
        values.withUnsafeBufferPointer { a in
        box.lower.withUnsafeBufferPointer { lo in
        box.upper.withUnsafeBufferPointer { hi in
            for r in 0..<rows {
                // t_j = max(a_j, 0) l_j + min(a_j, 0) u_j (the other product is an exact 0; a NaN
                // coefficient stays NaN), in four lanes; the bound below holds for any
                // summation order.
                let row = a.baseAddress! + r * n
                var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
                var m0 = 0.0, m1 = 0.0, m2 = 0.0, m3 = 0.0
                var j = 0
                while j + 4 <= lanes {
                    let a0 = row[j], a1 = row[j + 1], a2 = row[j + 2], a3 = row[j + 3]
                    let t0 = (a0 < 0 ? 0 : a0) * lo[j] + (a0 > 0 ? 0 : a0) * hi[j]
                    let t1 = (a1 < 0 ? 0 : a1) * lo[j + 1] + (a1 > 0 ? 0 : a1) * hi[j + 1]
                    let t2 = (a2 < 0 ? 0 : a2) * lo[j + 2] + (a2 > 0 ? 0 : a2) * hi[j + 2]
                    let t3 = (a3 < 0 ? 0 : a3) * lo[j + 3] + (a3 > 0 ? 0 : a3) * hi[j + 3]
                    s0 += t0; s1 += t1; s2 += t2; s3 += t3
                    m0 += abs(t0); m1 += abs(t1); m2 += abs(t2); m3 += abs(t3)
                    j += 4
                }
                var s = constant[r] + ((s0 + s1) + (s2 + s3))
                var mag = abs(constant[r]) + ((m0 + m1) + (m2 + m3))
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

    /// `minimum(over:plus:)` visiting only the given columns (the others have bounds [0, 0]),
    /// with the same error bound (gamma_{n+2} for the full row length n, at least gamma for
    /// the terms visited).
    private func minimum(over box: Bounds, columns support: [Int], plus constant: [Double], gamma g: Double) -> [Double] {
        var result = [Double](repeating: 0, count: rows)
        let n = columns, count = support.count
        values.withUnsafeBufferPointer { a in
        box.lower.withUnsafeBufferPointer { lo in
        box.upper.withUnsafeBufferPointer { hi in
        support.withUnsafeBufferPointer { col in
            for r in 0..<rows {
                let row = a.baseAddress! + r * n
                var s0 = 0.0, s1 = 0.0, m0 = 0.0, m1 = 0.0
                var c = 0
                while c + 2 <= count {
                    let j0 = col[c], j1 = col[c + 1]
                    let a0 = row[j0], a1 = row[j1]
                    let t0 = (a0 < 0 ? 0 : a0) * lo[j0] + (a0 > 0 ? 0 : a0) * hi[j0]
                    let t1 = (a1 < 0 ? 0 : a1) * lo[j1] + (a1 > 0 ? 0 : a1) * hi[j1]
                    s0 += t0; s1 += t1
                    m0 += abs(t0); m1 += abs(t1)
                    c += 2
                }
                var s = constant[r] + (s0 + s1)
                var mag = abs(constant[r]) + (m0 + m1)
                if c < count {
                    let j = col[c], aj = row[j]
                    let t = (aj < 0 ? 0 : aj) * lo[j] + (aj > 0 ? 0 : aj) * hi[j]
                    s += t
                    mag += abs(t)
                }
                let err = (g * mag * (1 + 4 * FloatError.unitRoundoff)).nextUp + Double(n + 2) * FloatError.eta
                result[r] = (s - err).nextDown
            }
        }
        }
        }
        }
        return result
    }

    /// A sound lower bound of the minimum over the box of `sum_r w_r (row_r . x + constant_r)`,
    /// for any weights `w` (branch and bound uses w >= 0: a combination positive on the box
    /// proves that the rows are not all <= 0 at any point of it).
    ///
    /// The combined row and constant are formed in round-to-nearest; each coefficient's error
    /// (a dot product of length `rows`) times the box's magnitude in that coordinate, and the
    /// constant's error, are subtracted from the combined row's sound minimum
    /// (``minimum(over:plus:)``). Infinite or NaN inputs give -infinity or NaN, never a
    /// positive bound that does not hold.
    public func combinedMinimum(weights w: [Double], over box: Bounds, plus constant: [Double]) -> Double {
        precondition(w.count == rows && constant.count == rows && box.count == columns, "LinearRows.combinedMinimum: size mismatch")
        var combined = LinearRows(zeros: 1, columns: columns)
        let m = box.magnitude
        var error = 0.0
        for j in 0..<columns {
            var s = 0.0, mag = 0.0
            for r in 0..<rows {
                let t = w[r] * values[r * columns + j]
                s += t
                mag += abs(t)
            }
            combined.values[j] = s
            if mag != 0 { error += FloatError.dotProduct(length: rows, magnitude: mag) * m[j] }
        }
        var c = 0.0, magnitude = 0.0
        for r in 0..<rows {
            let t = w[r] * constant[r]
            c += t
            magnitude += abs(t)
        }
        error += FloatError.dotProduct(length: rows, magnitude: magnitude)
        // `error` summed columns + 1 nonnegative terms, each a product rounded to nearest.
        let bound = (error * (1 + FloatError.gamma(columns + 2))).nextUp
        return (combined.minimum(over: box, plus: [c])[0] - bound).nextDown
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
