import BitBarrierCore

/// Where quantization rounding absorbs a perturbation ("the bit-depth barrier").
///
/// Input coordinates: a coordinate is absorbed at eps when every float32 value of
/// [x - eps, x + eps] (clipped to the domain) falls in x's quantization bin; its absorbed radius
/// is the distance to the nearest float32 value in another bin, found with the quantizer's own
/// float32 arithmetic (Q is nondecreasing, so a bisection over the float32 values between x and
/// one scale away finds the first value of the next bin). The *barrier radius* of an input is the
/// smallest absorbed radius over its coordinates: below it the quantized input, and so the
/// model's output, cannot change at all. Layers: with sound bounds over the ball, a quantized
/// neuron whose bounds map to one bin is fixed; the others widen.
public struct AbsorptionAnalysis: Sendable {
    public let network: Network
    /// The input quantizer (a QuantizeLinear reading the network input, through reshapes).
    public let inputQuantizer: Int?

    public init(network: Network) {
        self.network = network
        inputQuantizer = network.nodes.indices.first { i in
            guard network.nodes[i].layer is QuantizeLinear else { return false }
            var ref = network.nodes[i].inputs[0]
            while case .node(let j) = ref, network.nodes[j].layer is Reshape { ref = network.nodes[j].inputs[0] }
            return ref == .input
        }
    }

    /// Per coordinate: the largest eps such that the whole float32 interval stays in x's bin
    /// (strictly below this distance), given the domain; infinity when no other bin is reachable.
    public func absorbedRadii(_ x: [Float], domainLower: [Double]?, domainUpper: [Double]?) -> [Double]? {
        guard let qi = inputQuantizer, let q = network.nodes[qi].layer as? QuantizeLinear else { return nil }
        return x.indices.map { i in
            let bin = q.quantize(x[i], i)
            let step = q.scale[i]
            func firstOther(upward: Bool) -> Double {
                let limit: Double = upward ? (domainUpper?[i] ?? .infinity) : (domainLower?[i] ?? -.infinity)
                // Farther than one scale is always another bin (or saturation: the same bin forever).
                var far = upward ? x[i] + 2 * step : x[i] - 2 * step
                if (upward && Double(far) > limit) || (!upward && Double(far) < limit) { far = Float(limit) }
                if q.quantize(far, i) == bin { return .infinity }
                var near = x[i]  // same bin; far: another bin
                while true {
                    let mid = Float(0.5 * Double(near) + 0.5 * Double(far))
                    if mid == near || mid == far { break }
                    if q.quantize(mid, i) == bin { near = mid } else { far = mid }
                }
                return abs(Double(far) - Double(x[i]))
            }
            return min(firstOther(upward: true), firstOther(upward: false))
        }
    }

    /// The barrier radius of an input: the smallest absorbed radius over its coordinates (below
    /// it the input quantizer maps the whole ball to one quantized input); nil when the model has
    /// no input quantizer or no other bin is reachable.
    public func barrierRadius(_ x: [Float], domainLower: [Double]?, domainUpper: [Double]?) -> Double? {
        absorbedRadii(x, domainLower: domainLower, domainUpper: domainUpper)?.min().flatMap { $0.isFinite ? $0 : nil }
    }

    /// Per quantized layer at a radius: neurons fixed to one bin, neurons that widen, and the mean
    /// width in bins (bounds by CROWN, sound).
    public struct LayerAbsorption: Sendable, Codable {
        public var node: Int
        public var name: String
        public var neurons: Int
        public var singleBin: Int
        public var widened: Int
        public var meanWidthBins: Double
    }

    public func layers(_ box: Bounds, method: BoundMethod) -> [LayerAbsorption] {
        let bounds = BoundAnalysis(network: network).layerBounds(box, intermediate: method == .ibp ? .ibp : .crown)
        return network.nodes.indices.compactMap { i in
            guard network.nodes[i].layer is QuantizeLinear else { return nil }
            let b = bounds[i]
            let single = (0..<b.count).filter { b.lower[$0] == b.upper[$0] }.count
            let width = (0..<b.count).map { b.upper[$0] - b.lower[$0] }.reduce(0, +) / Double(max(b.count, 1))
            return LayerAbsorption(node: i, name: network.nodes[i].name, neurons: b.count, singleBin: single,
                                   widened: b.count - single, meanWidthBins: width)
        }
    }
}
