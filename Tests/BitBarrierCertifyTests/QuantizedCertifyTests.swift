import BitBarrierCertify
import BitBarrierCore
import BitBarrierData
import BitBarrierImport
import Foundation
import Testing

/// Soundness on the int8 model: bounds contain every sampled runtime output exactly (the
/// quantized values are integers: no tolerance), certified radii are never beaten by an attack,
/// and a barrier radius really freezes the output.
@Suite struct QuantizedCertifyTests {
    /// A float32 point of the box, rounded inward: a random corner when `corner`, else uniform.
    static func point(in box: Bounds, _ rng: inout SplitMix64, corner: Bool) -> [Float] {
        (0..<box.count).map { j -> Float in
            let t = corner ? (rng.unit() < 0.5 ? 0 : 1) : rng.unit()
            var v = Float(box.lower[j] + t * (box.upper[j] - box.lower[j]))
            if Double(v) < box.lower[j] { v = v.nextUp }
            if Double(v) > box.upper[j] { v = v.nextDown }
            return v
        }
    }

    /// The first runtime value of `x` outside its node's IBP or CROWN bounds, described (no
    /// tolerance: quantized values are integers); nil when every value is inside.
    static func escape(_ network: Network, _ x: [Float], ibp: [Bounds], crown: [Bounds]) -> String? {
        for (k, v) in network.evaluateAll(x).enumerated() {
            for j in v.indices {
                let y = Double(v[j])
                if !(ibp[k].lower[j] <= y && y <= ibp[k].upper[j] && crown[k].lower[j] <= y && y <= crown[k].upper[j]) {
                    return "node \(k) (\(network.nodes[k].opType)) neuron \(j): \(y) outside IBP [\(ibp[k].lower[j]), \(ibp[k].upper[j])] or CROWN [\(crown[k].lower[j]), \(crown[k].upper[j])]"
                }
            }
        }
        return nil
    }

    static let dir = Shared.root.appendingPathComponent("Examples/digits-mlp-int8")
    static let network = try! ModelLoader.load(path: dir.appendingPathComponent("model_qdq.onnx").path)
    static let data = try! Dataset.loadCSV(path: dir.appendingPathComponent("test.csv").path)
    static let unit = [Double](repeating: 0, count: 64), one = [Double](repeating: 1, count: 64)

    @Test(arguments: ["model_qdq.onnx", "model_qop.onnx", "model_qdq_perchannel.onnx", "model_dynamic.onnx", "../digits-cnn/model_qdq.onnx",
                      "../digits-cnn/model_qop.onnx"])
    func boundsContainRuntimeValuesExactly(_ file: String) throws {
        var rng = SplitMix64(seed: 3)
        let network = try ModelLoader.load(path: Self.dir.appendingPathComponent(file).path)
        let analysis = BoundAnalysis(network: network)
        for i in 0..<4 {
            for eps in [0.002, 0.01, 0.03] {
                let box = Bounds(center: Self.data.features[i], epsilon: eps, clipLower: Self.unit, clipUpper: Self.one)
                let ibp = analysis.intervalBounds(box), crown = analysis.layerBounds(box, intermediate: .crown)
                for _ in 0..<400 {
                    let x = (0..<64).map { j -> Float in
                        var v = Float(box.lower[j] + rng.unit() * (box.upper[j] - box.lower[j]))
                        if Double(v) < box.lower[j] { v = v.nextUp }
                        if Double(v) > box.upper[j] { v = v.nextDown }
                        return v
                    }
                    let values = network.evaluateAll(x)
                    for (k, v) in values.enumerated() {
                        for j in v.indices {
                            let y = Double(v[j])
                            let ok = ibp[k].lower[j] <= y && y <= ibp[k].upper[j] && crown[k].lower[j] <= y && y <= crown[k].upper[j]
                            if !ok {
                                Issue.record("\(file) input \(i) eps \(eps) node \(k) (\(network.nodes[k].opType)) neuron \(j): \(y) outside IBP [\(ibp[k].lower[j]), \(ibp[k].upper[j])] or CROWN [\(crown[k].lower[j]), \(crown[k].upper[j])]")
                                return
                            }
                        }
                    }
                }
            }
        }
    }

    @Test func certifiedRadiusIsNeverBeaten() {
        let pgd = PGDAttack(steps: 30, restarts: 2)
        for method in [BoundMethod.ibp, .crown] {
            let certifier = Certifier(network: Self.network, method: method)
            for i in 0..<6 {
                let q = RobustnessQuery(network: Self.network, center: Self.data.features[i], label: Self.data.labels![i], domainLower: Self.unit, domainUpper: Self.one)
                let r = certifier.certifiedRadius(q, maximum: 0.3, tolerance: 0.01)
                if r > 0 { #expect(pgd.attack(q, epsilon: r) == nil, "input \(i): attack inside certified radius \(r)") }
                if let ce = pgd.attackRadius(q, lower: r, maximum: 0.3) { #expect(ce.distance >= r) }
            }
        }
    }

    /// Below the barrier radius the quantized input cannot change: random float32 points of that
    /// ball give bit-identical outputs.
    @Test func barrierRadiusFreezesTheOutput() {
        let analysis = AbsorptionAnalysis(network: Self.network)
        #expect(analysis.inputQuantizer != nil)
        var rng = SplitMix64(seed: 11)
        var checked = 0
        for i in 0..<20 {
            let x = Self.data.features[i]
            guard let radii = analysis.absorbedRadii(x, domainLower: Self.unit, domainUpper: Self.one),
                  let b = radii.min(), b.isFinite, b > 1e-6 else { continue }
            let y0 = Self.network.evaluate(x)
            for _ in 0..<200 {
                let p = (0..<64).map { j -> Float in
                    let lo = max(Double(x[j]) - b, 0), hi = min(Double(x[j]) + b, 1)
                    var v = Float(lo + rng.unit() * (hi - lo))
                    // Strictly inside the barrier (the radius itself reaches the next bin).
                    while abs(Double(v) - Double(x[j])) >= b { v = v > x[j] ? v.nextDown : v.nextUp }
                    return min(max(v, 0), 1)
                }
                #expect(Self.network.evaluate(p) == y0, "input \(i): output changed within its barrier radius \(b)")
            }
            // And the radius is tight: the coordinate attaining it reaches another bin one way.
            let j = radii.firstIndex(of: b)!
            let qi = analysis.inputQuantizer!
            let base = Self.network.evaluateAll(x)[qi][j]
            let reached = [Double(x[j]) + b, Double(x[j]) - b].contains { v in
                var moved = x
                moved[j] = Float(v)
                return (0...1).contains(v) && Self.network.evaluateAll(moved)[qi][j] != base
            }
            #expect(reached, "input \(i): coordinate \(j) at distance \(b) stays in its bin")
            checked += 1
        }
        #expect(checked > 0, "no input had a positive barrier radius")
    }

    /// The layers of the other int8 operators (DynamicQuantizedAffine over ConvInteger,
    /// QLinearConv, QLinearAdd) on the fixture models of Scripts/make_fixtures.py: runtime values
    /// at sampled float32 points (corners included) never leave the IBP or CROWN bounds, no tolerance.
    @Test(arguments: ["dynamic_conv.onnx", "qop_residual.onnx"])
    func fixtureBoundsContainRuntimeValuesExactly(_ file: String) throws {
        let path = Shared.root.appendingPathComponent("Tests/BitBarrierImportTests/Fixtures/quantized/" + file).path
        let network = try ModelLoader.load(path: path)
        let analysis = BoundAnalysis(network: network)
        var rng = SplitMix64(seed: 5)
        let n = network.inputSize
        let zero = [Double](repeating: 0, count: n), one = [Double](repeating: 1, count: n)
        for _ in 0..<4 {
            let centre = (0..<n).map { _ in Float(rng.unit()) }
            for eps in [0.001, 0.01, 0.05] {
                let box = Bounds(center: centre, epsilon: eps, clipLower: zero, clipUpper: one)
                let ibp = analysis.intervalBounds(box), crown = analysis.layerBounds(box, intermediate: .crown)
                for s in 0..<300 {
                    let x = Self.point(in: box, &rng, corner: s % 3 == 0)
                    if let e = Self.escape(network, x, ibp: ibp, crown: crown) { Issue.record("\(file) eps \(eps): \(e)"); return }
                }
            }
        }
    }

    /// DynamicQuantizedAffine on inputs of both signs (the models only feed it [0, 1] pixels and
    /// ReLU outputs): boxes straddling zero, all-negative, all-zero and degenerate, with the
    /// extreme points that set the runtime scale sampled; the runtime outputs stay inside the IBP
    /// and CROWN bounds (of the layer alone and after a ReLU), no tolerance.
    @Test func dynamicQuantizedAffineContainsRuntimeValues() throws {
        var rng = SplitMix64(seed: 17)
        let (k, n) = (12, 5)
        let weights = (0..<(n * k)).map { _ in Double(Int(rng.unit() * 255) - 127) }
        let layer = try DynamicQuantizedAffine(integer: AffineMap(outputs: n, inputs: k, storage: .dense(weights)),
                                               weightScale: (0..<n).map { _ in Float(0.001 + rng.unit() * 0.02) },
                                               bias: (0..<n).map { _ in Float(rng.unit() - 0.5) })
        let network = Network(name: "dq", inputName: "x", inputShape: [1, k], outputName: "y",
                              nodes: [Node(name: "dq", opType: "DynamicQuantizedAffine", layer: layer, inputs: [.input], shape: [1, n]),
                                      Node(name: "r", opType: "Relu", layer: ReLU(size: n), inputs: [.node(0)], shape: [1, n])],
                              output: 1)
        let analysis = BoundAnalysis(network: network)
        for trial in 0..<60 {
            let shift = [-2.0, -0.5, 0, 0.5][trial % 4]
            let centre = (0..<k).map { _ in Float((rng.unit() - 0.5) * 2 + shift) }
            let eps = trial % 10 == 9 ? 0 : [0.001, 0.05, 0.5][trial % 3]
            let box = trial == 59 ? Bounds(point: [Float](repeating: 0, count: k)) : Bounds(center: centre, epsilon: eps)
            let ibp = analysis.intervalBounds(box), crown = analysis.layerBounds(box, intermediate: .crown)
            for s in 0..<200 {
                let x = Self.point(in: box, &rng, corner: s % 2 == 0)
                if let e = Self.escape(network, x, ibp: ibp, crown: crown) { Issue.record("trial \(trial): \(e)"); return }
            }
        }
    }
}
