import BitBarrierCore
import Testing

/// Sampling soundness: concrete values of every node at sampled points of a box never leave
/// the IBP or CROWN bounds of that node, and CROWN's bounds on random linear specifications of
/// the output never exceed the sampled values.
///
/// The bounds hold for real arithmetic; the samples are float32 evaluations, so a float32
/// evaluation tolerance (1e-5 relative to the value's magnitude plus 1e-6) is allowed.
@Suite struct LayerSoundnessTests {
    static func tolerance(_ v: Double) -> Double { 1e-5 * abs(v) + 1e-6 }

    static func randomBox(_ network: Network, _ rng: inout SplitMix64, epsilon: Double) -> Bounds {
        Bounds(center: rng.floats(network.inputSize, scale: 1), epsilon: epsilon)
    }

    static func sample(_ box: Bounds, _ rng: inout SplitMix64, corner: Bool) -> [Float] {
        (0..<box.count).map { j in
            let (l, u) = (box.lower[j], box.upper[j])
            let t = corner ? (Bool.random(using: &rng) ? 1.0 : 0.0) : Double.random(in: 0...1, using: &rng)
            // Round toward the inside of the box so the float32 point lies in it.
            var x = Float(l + t * (u - l))
            if Double(x) < l { x = x.nextUp }
            if Double(x) > u { x = x.nextDown }
            return x
        }
    }

    /// Checks every node's bounds against `samples` points; returns the number of checks.
    @discardableResult
    static func check(_ network: Network, epsilon: Double, seed: UInt64, samples: Int) -> Int {
        var rng = SplitMix64(seed: seed)
        let analysis = BoundAnalysis(network: network)
        let box = randomBox(network, &rng, epsilon: epsilon)
        let ibp = analysis.intervalBounds(box)
        let crown = analysis.layerBounds(box, intermediate: .crown)
        let spec = LinearRows(rows: 3, columns: network.outputSize, values: rng.floats(3 * network.outputSize).map(Double.init))
        let specLow = analysis.outputLowerBounds(spec, box: box, method: .crown)
        let specIBP = analysis.outputLowerBounds(spec, box: box, method: .ibp)
        var checks = 0
        for s in 0..<samples {
            let x = sample(box, &rng, corner: s % 4 == 0)
            #expect(box.contains(x.map(Double.init)))
            let values = network.evaluateAll(x)
            for (i, v) in values.enumerated() {
                for j in v.indices {
                    let y = Double(v[j]), t = tolerance(y)
                    if !(ibp[i].lower[j] - t <= y && y <= ibp[i].upper[j] + t) {
                        Issue.record("\(network.name) node \(i) (\(network.nodes[i].opType)) neuron \(j): \(y) outside IBP [\(ibp[i].lower[j]), \(ibp[i].upper[j])]")
                        return checks
                    }
                    if !(crown[i].lower[j] - t <= y && y <= crown[i].upper[j] + t) {
                        Issue.record("\(network.name) node \(i) (\(network.nodes[i].opType)) neuron \(j): \(y) outside CROWN [\(crown[i].lower[j]), \(crown[i].upper[j])]")
                        return checks
                    }
                    checks += 1
                }
            }
            let out = values[network.output].map(Double.init)
            for r in 0..<spec.rows {
                var value = 0.0, mag = 0.0
                for j in 0..<spec.columns { value += spec.values[r * spec.columns + j] * out[j]; mag += abs(spec.values[r * spec.columns + j] * out[j]) }
                #expect(specLow[r] <= value + tolerance(mag), "CROWN spec row \(r): \(specLow[r]) > \(value)")
                #expect(specIBP[r] <= value + tolerance(mag), "IBP spec row \(r): \(specIBP[r]) > \(value)")
            }
        }
        return checks
    }

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func mlpBoundsContainSamples(seed: UInt64) {
        for eps in [0.01, 0.1, 0.5] {
            Self.check(TestNetworks.mlp(seed: seed), epsilon: eps, seed: seed &* 31 &+ UInt64(eps * 1000), samples: 2500)
        }
    }

    /// Passes that reach the input through `FirstLayer`'s fused step.
    @Test(arguments: [UInt64(1), 2, 3])
    func wideBoundsContainSamples(seed: UInt64) {
        #expect(BoundAnalysis(network: TestNetworks.wide(seed: seed)).firstLayer?.node == 1)
        for eps in [0.01, 0.1, 0.5] {
            Self.check(TestNetworks.wide(seed: seed), epsilon: eps, seed: seed &* 17 &+ UInt64(eps * 1000), samples: 1500)
        }
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func convnetBoundsContainSamples(seed: UInt64) throws {
        for eps in [0.02, 0.2] {
            Self.check(try TestNetworks.convnet(seed: seed), epsilon: eps, seed: seed &+ 7, samples: 1500)
        }
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func residualBoundsContainSamples(seed: UInt64) throws {
        for eps in [0.05, 0.3, 1.0] {
            Self.check(try TestNetworks.residual(seed: seed), epsilon: eps, seed: seed &+ 11, samples: 2500)
        }
    }

    /// CROWN is never looser than IBP at the nodes it tightens (both sound; CROWN is intersected).
    @Test func crownNoLooserThanIBP() {
        let network = TestNetworks.mlp(seed: 9)
        var rng = SplitMix64(seed: 5)
        let box = Self.randomBox(network, &rng, epsilon: 0.1)
        let analysis = BoundAnalysis(network: network)
        let ibp = analysis.intervalBounds(box), crown = analysis.layerBounds(box, intermediate: .crown)
        var tighter = 0
        for i in network.nodes.indices {
            for j in 0..<ibp[i].count {
                #expect(crown[i].lower[j] >= ibp[i].lower[j] - 1e-9 * (1 + abs(ibp[i].lower[j])))
                if crown[i].upper[j] < ibp[i].upper[j] - 1e-6 { tighter += 1 }
            }
        }
        #expect(tighter > 0, "CROWN tightened nothing: the backward pass is not doing its job")
    }

    /// A quantized runtime's float32 x + c must lie in the bounds exactly (no tolerance: the
    /// next QuantizeLinear turns any miss into a whole bin), also when |c| >> |x|, where the
    /// rounding error is u |x + c|, not u |x|.
    @Test(arguments: [ScaleShift.Operation.add, .subtract, .subtractFrom, .multiply, .divide])
    func runtimeFloat32ResultIsInsideTheBounds(_ op: ScaleShift.Operation) throws {
        var rng = SplitMix64(seed: 21)
        let n = 64
        let constants = (0..<n).map { i -> Float in Float((rng.unit() - 0.5) * (i.isMultiple(of: 2) ? 2000 : 2)) }
        let layer = try ScaleShift(op, constant: constants, runtimeRelativeError: 0x1p-24)
        for _ in 0..<200 {
            let lower = (0..<n).map { _ in (rng.unit() - 0.5) * 0.2 }
            let box = Bounds(lower: lower, upper: lower.map { $0 + rng.unit() * 1e-3 })
            let b = layer.propagate([box])
            let rows = LinearRows.identity(n)
            let step = layer.backward(rows, inputs: [box])
            let low = step.inputs[0]!.minimum(over: box, plus: step.constant)
            for _ in 0..<20 {
                let x = (0..<n).map { j -> Float in
                    var v = Float(box.lower[j] + rng.unit() * (box.upper[j] - box.lower[j]))
                    if Double(v) < box.lower[j] { v = v.nextUp }
                    if Double(v) > box.upper[j] { v = v.nextDown }
                    return v
                }
                let y = layer.evaluate([x])
                for j in 0..<n {
                    #expect(b.lower[j] <= Double(y[j]) && Double(y[j]) <= b.upper[j], "\(op) neuron \(j): \(y[j]) outside [\(b.lower[j]), \(b.upper[j])]")
                    #expect(low[j] <= Double(y[j]), "\(op) neuron \(j): \(y[j]) below the linear bound \(low[j])")
                    if !(b.lower[j] <= Double(y[j]) && Double(y[j]) <= b.upper[j] && low[j] <= Double(y[j])) { return }
                }
            }
        }
    }
}
