import BitBarrierCore
import Testing

/// `LinearRows.combinedMinimum`: a lower bound of the real minimum of a weighted sum of rows
/// over a box, whatever the rounding of the combination.
@Suite struct CombinationTests {
    /// 0.1 x + 0.2 x - 0.3 x at x = 2^56 (the doubles nearest 0.1, 0.2, 0.3): their real sum
    /// is 2^-55, so the real value is 2 (computed here exactly in Float80); the round-to-nearest
    /// combination gives 4. The bound must stay at or below 2; one without the combination's
    /// error term would say 4.
    @Test func cancellationIsCovered() {
        let rows = LinearRows(rows: 3, columns: 1, values: [1, 1, -1])
        let w = [0.1, 0.2, 0.3]
        let x = 0x1p56
        let box = Bounds(lower: [x], upper: [x])
        // Exact: the three doubles' sum needs 56 bits of mantissa, Float80 has 64.
        let real = (Float80(w[0]) + Float80(w[1]) - Float80(w[2])) * Float80(x)
        #expect(real == 2, "real value \(real), expected 2")
        let naive = (0.1 + 0.2 - 0.3) * x
        #expect(Float80(naive) > real, "the test lost its cancellation: naive \(naive), real \(real)")
        let bound = rows.combinedMinimum(weights: w, over: box, plus: [0, 0, 0])
        #expect(Float80(bound) <= real, "bound \(bound) above the real minimum \(real)")
        #expect(Float80(bound) > real - 64, "bound \(bound) far below the real minimum \(real)")
    }

    /// Random dyadic rows, weights and boxes (exact in Float80): the bound is at or below the
    /// real minimum (at the corner picked by each combined coefficient's sign) and within
    /// 1e-9 of it.
    @Test func randomCombinationsAreTight() {
        var rng = SplitMix64(seed: 7)
        func dyadic(_ scale: Double) -> Double { Double(Int(rng.next() % 2001) - 1000) / 1024 * scale }
        for _ in 0..<200 {
            let r = 1 + Int(rng.next() % 5), n = 1 + Int(rng.next() % 6)
            let rows = LinearRows(rows: r, columns: n, values: (0..<(r * n)).map { _ in dyadic(1) })
            let w = (0..<r).map { _ in abs(dyadic(1)) }
            let c = (0..<r).map { _ in dyadic(4) }
            let lo = (0..<n).map { _ in dyadic(1) }
            let box = Bounds(lower: lo, upper: lo.map { $0 + abs(dyadic(1)) })
            var real: Float80 = 0
            for k in 0..<r { real += Float80(w[k]) * Float80(c[k]) }
            for j in 0..<n {
                var a: Float80 = 0
                for k in 0..<r { a += Float80(w[k]) * Float80(rows.values[k * n + j]) }
                real += a >= 0 ? a * Float80(box.lower[j]) : a * Float80(box.upper[j])
            }
            let bound = rows.combinedMinimum(weights: w, over: box, plus: c)
            #expect(Float80(bound) <= real, "bound \(bound) above the real minimum \(real)")
            #expect(Float80(bound) >= real - 1e-9, "bound \(bound) loose against \(real)")
        }
    }

    /// Infinite box bounds never give a finite positive bound.
    @Test func infiniteBoxGivesNoBound() {
        let rows = LinearRows(rows: 2, columns: 2, values: [1, 0, 0, 1])
        let box = Bounds(lower: [-.infinity, 0], upper: [1, 1])
        let bound = rows.combinedMinimum(weights: [1, 1], over: box, plus: [5, 5])
        #expect(!(bound > 0), "bound \(bound) over an unbounded box")
    }
}
