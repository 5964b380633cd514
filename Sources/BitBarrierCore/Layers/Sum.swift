/// y = x1 + x2 or y = x1 - x2 of two computed tensors of one shape (residual connections).
///
/// Exact in the reals; the interval ends are rounded outward.
public struct Sum: Layer {
    public let size: Int
    public let subtract: Bool

    public init(size: Int, subtract: Bool = false) {
        self.size = size
        self.subtract = subtract
    }

    public var summary: String { subtract ? "Sub(\(size))" : "Add(\(size))" }
    public var parameterCount: Int { 0 }

    public func evaluate(_ inputs: [[Float]]) -> [Float] {
        let (a, b) = (inputs[0], inputs[1])
        return subtract ? a.indices.map { a[$0] - b[$0] } : a.indices.map { a[$0] + b[$0] }
    }

    public func propagate(_ inputs: [Bounds]) -> Bounds {
        let (a, b) = (inputs[0], inputs[1])
        var lo = a.lower, hi = a.upper
        for i in lo.indices {
            if subtract {
                lo[i] = (a.lower[i] - b.upper[i]).nextDown
                hi[i] = (a.upper[i] - b.lower[i]).nextUp
            } else {
                lo[i] = (a.lower[i] + b.lower[i]).nextDown
                hi[i] = (a.upper[i] + b.upper[i]).nextUp
            }
        }
        return Bounds(lower: lo, upper: hi)
    }

    public func backward(_ a: LinearRows, inputs: [Bounds]) -> BackwardStep {
        let second = subtract ? LinearRows(rows: a.rows, columns: a.columns, values: a.values.map { -$0 }) : a
        return BackwardStep(inputs: [a, second], constant: [Double](repeating: 0, count: a.rows))
    }

    public func pullback(_ inputs: [[Float]], gradient: [Double]) -> [[Double]] {
        [gradient, subtract ? gradient.map { -$0 } : gradient]
    }
}
