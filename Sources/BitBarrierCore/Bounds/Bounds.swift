/// Sound elementwise bounds of a tensor: every real value lies in [lower[i], upper[i]].
///
/// Values of this type are produced only by sound transformers (outward rounded), so holding a
/// `Bounds` means holding a proof obligation already discharged. Raw floating-point estimates
/// are plain `[Double]`.
public struct Bounds: Sendable, Equatable {
    public var lower: [Double]
    public var upper: [Double]

    public init(lower: [Double], upper: [Double]) {
        precondition(lower.count == upper.count, "Bounds: lower and upper differ in size")
        self.lower = lower
        self.upper = upper
    }

    /// The degenerate box holding exactly `point` (Float values are exact in Double).
    public init(point: [Float]) {
        let p = point.map(Double.init)
        self.init(lower: p, upper: p)
    }

    /// The L-infinity ball of radius `epsilon` around `center`, clipped to [clipLower, clipUpper].
    ///
    /// The ball's ends are rounded outward, so the box contains every real point of the ball.
    public init(center: [Float], epsilon: Double, clipLower: [Double]? = nil, clipUpper: [Double]? = nil) {
        var lo = [Double](repeating: 0, count: center.count)
        var hi = lo
        for i in center.indices {
            let c = Double(center[i])
            lo[i] = (c - epsilon).nextDown
            hi[i] = (c + epsilon).nextUp
            if let cl = clipLower { lo[i] = max(lo[i], cl[i]) }
            if let cu = clipUpper { hi[i] = min(hi[i], cu[i]) }
            if lo[i] > hi[i] { lo[i] = c; hi[i] = c }
        }
        self.init(lower: lo, upper: hi)
    }

    public var count: Int { lower.count }

    /// Largest magnitude per element: max(|lower|, |upper|), used by the error terms.
    public var magnitude: [Double] {
        var m = [Double](repeating: 0, count: lower.count)
        for i in m.indices { m[i] = max(abs(lower[i]), abs(upper[i])) }
        return m
    }

    /// Whether `values` lie inside these bounds (with no tolerance).
    public func contains(_ values: [Double]) -> Bool {
        values.count == count && values.indices.allSatisfy { lower[$0] <= values[$0] && values[$0] <= upper[$0] }
    }

    /// Elementwise intersection; keeps the tighter side of each bound.
    public func intersected(with other: Bounds) -> Bounds {
        var lo = lower, hi = upper
        for i in lo.indices {
            lo[i] = max(lo[i], other.lower[i])
            hi[i] = min(hi[i], other.upper[i])
        }
        return Bounds(lower: lo, upper: hi)
    }
}
