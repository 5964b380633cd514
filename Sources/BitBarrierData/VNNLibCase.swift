/// One input box of a VNN-LIB property with the output conditions that make it unsafe.
///
/// The case is unsafe at `x` when `lower[i] <= x[i] <= upper[i]` for every input and at least
/// one conjunction in `outputDisjuncts` holds at the network's output `f(x)`.
public struct VNNLibCase: Sendable, Equatable {
    /// Lower bounds of the input box, one per input.
    public var lower: [Double]
    /// Upper bounds of the input box, one per input.
    public var upper: [Double]
    /// A disjunction of conjunctions of output constraints. An empty conjunction holds always.
    public var outputDisjuncts: [[OutputConstraint]]

    /// Creates a case from its box and output condition.
    public init(lower: [Double], upper: [Double], outputDisjuncts: [[OutputConstraint]]) {
        self.lower = lower
        self.upper = upper
        self.outputDisjuncts = outputDisjuncts
    }

    /// Whether `x` lies in the (closed) input box.
    public func contains(input x: [Double]) -> Bool {
        x.count == lower.count && x.indices.allSatisfy { lower[$0] <= x[$0] && x[$0] <= upper[$0] }
    }

    /// Whether concrete outputs `y` meet the case's unsafe output condition.
    public func isUnsafe(output y: [Double]) -> Bool {
        outputDisjuncts.contains { conjunction in conjunction.allSatisfy { $0.holds(for: y) } }
    }
}
