import BitBarrierCore

/// One local-robustness question: does every input within L-infinity distance eps of `center`,
/// inside the valid domain, keep `label` as the strict argmax of the network's output?
///
/// Robustness is strict: the label's score must exceed every other score; a tie counts as not
/// robust (int8 models tie often).
public struct RobustnessQuery: Sendable {
    public var network: Network
    public var center: [Float]
    public var label: Int
    /// Valid input domain (e.g. [0, 1] for images), or nil for unbounded.
    public var domainLower: [Double]?
    public var domainUpper: [Double]?

    public init(network: Network, center: [Float], label: Int, domainLower: [Double]? = nil, domainUpper: [Double]? = nil) {
        self.network = network
        self.center = center
        self.label = label
        self.domainLower = domainLower
        self.domainUpper = domainUpper
    }

    /// The ball of radius eps around the center, clipped to the domain, rounded outward.
    public func box(epsilon: Double) -> Bounds {
        Bounds(center: center, epsilon: epsilon, clipLower: domainLower, clipUpper: domainUpper)
    }

    /// Rows logit_label - logit_j for every j != label.
    public var marginRows: LinearRows {
        BoundAnalysis.marginRows(label: label, classes: network.outputSize)
    }

    /// The smallest margin logit_label - max_{j != label} logit_j of a concrete float32 output.
    public func margin(of output: [Float]) -> Float {
        var worst = Float.infinity
        for j in output.indices where j != label { worst = min(worst, output[label] - output[j]) }
        return worst
    }

    /// The float32 point nearest to `x` inside the eps-ball and the domain (rounding inward), for
    /// candidates produced by solvers or attacks in Double.
    public func project(_ x: [Double], epsilon: Double) -> [Float] {
        x.indices.map { i in
            let lo = max(Double(center[i]) - epsilon, domainLower?[i] ?? -.infinity)
            let hi = min(Double(center[i]) + epsilon, domainUpper?[i] ?? .infinity)
            var f = Float(min(max(x[i], lo), hi))
            if Double(f) < lo { f = f.nextUp }
            if Double(f) > hi { f = f.nextDown }
            return f
        }
    }

    /// Whether a point lies in the eps-ball (in exact arithmetic on its float32 values) and the domain.
    public func contains(_ x: [Float], epsilon: Double) -> Bool {
        guard x.count == center.count else { return false }
        for i in x.indices {
            let d = abs(Double(x[i]) - Double(center[i]))
            if d > epsilon { return false }
            if let lo = domainLower, Double(x[i]) < lo[i] { return false }
            if let hi = domainUpper, Double(x[i]) > hi[i] { return false }
        }
        return true
    }
}
