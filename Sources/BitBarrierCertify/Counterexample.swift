import BitBarrierCore

/// An input that was replayed on the concrete (float32) network and does not keep the label.
///
/// The only way to make one is `Counterexample.replay`, so holding one means the violation was
/// observed on the concrete model, not merely predicted by an attack or a solver.
public struct Counterexample: Sendable {
    public let input: [Float]
    public let output: [Float]
    /// L-infinity distance to the query's center.
    public let distance: Double
    /// logit_label - max other logit at this input: <= 0.
    public let margin: Float

    /// Replays `x` on the concrete network; returns a counterexample only if x lies within eps of
    /// the center, inside the domain, and its output does not keep the label strictly.
    public static func replay(_ x: [Float], query: RobustnessQuery, epsilon: Double) -> Counterexample? {
        guard query.contains(x, epsilon: epsilon) else { return nil }
        let y = query.network.evaluate(x)
        let m = query.margin(of: y)
        guard m <= 0 else { return nil }
        var d = 0.0
        for i in x.indices { d = max(d, abs(Double(x[i]) - Double(query.center[i]))) }
        return Counterexample(input: x, output: y, distance: d, margin: m)
    }

    init(input: [Float], output: [Float], distance: Double, margin: Float) {
        self.input = input
        self.output = output
        self.distance = distance
        self.margin = margin
    }
}
