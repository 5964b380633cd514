import BitBarrierCertify
import BitBarrierCore
import BitBarrierData
import BitBarrierImport
import Foundation
import Testing

/// Lipschitz bounds are upper bounds: no pair of points stretches more; the radius they give
/// is never beaten by an attack.
@Suite struct LipschitzTests {
    static let network = try! ModelLoader.load(path: Shared.root.appendingPathComponent("Examples/digits-mlp/model.onnx").path)
    static let data = try! Dataset.loadCSV(path: Shared.root.appendingPathComponent("Examples/digits-mlp/test.csv").path)

    @Test func noPairStretchesMoreThanTheBound() throws {
        let lip = LipschitzBounds(network: Self.network)
        let lInf = try #require(lip.networkLInf), l2 = try #require(lip.networkL2)
        var rng = SplitMix64(seed: 5)
        var worstInf = 0.0, worst2 = 0.0
        for i in 0..<50 {
            let x = Self.data.features[i]
            let y = Self.network.evaluate(x)
            for _ in 0..<40 {
                let d = 0.05 * rng.unit()
                let x2 = x.map { Float(Double($0) + d * (2 * rng.unit() - 1)) }
                let y2 = Self.network.evaluate(x2)
                let dx = zip(x, x2).map { abs(Double($0) - Double($1)) }
                let dy = zip(y, y2).map { abs(Double($0) - Double($1)) }
                guard let mx = dx.max(), mx > 0 else { continue }
                worstInf = max(worstInf, dy.max()! / mx)
                worst2 = max(worst2, dy.map { $0 * $0 }.reduce(0, +).squareRoot() / dx.map { $0 * $0 }.reduce(0, +).squareRoot())
            }
        }
        #expect(worstInf <= lInf && worst2 <= l2, "stretch \(worstInf) / \(worst2) above the bounds \(lInf) / \(l2)")
        #expect(worstInf > 0)
        #expect(LipschitzBounds(network: try ModelLoader.load(path: Shared.root.appendingPathComponent("Examples/digits-mlp-int8/model_qdq.onnx").path)).networkLInf == nil,
                "a quantized network has no Lipschitz constant")
    }

    @Test func lipschitzRadiusIsNeverBeatenAndVerifies() {
        let lip = LipschitzBounds(network: Self.network)
        let certifier = Certifier(network: Self.network, method: .crown)
        let pgd = PGDAttack(steps: 30, restarts: 1)
        var positive = 0
        for i in 0..<20 {
            let q = RobustnessQuery(network: Self.network, center: Self.data.features[i], label: Self.data.labels![i])
            let r = lip.certifiedRadius(center: q.center, label: q.label)
            guard r > 0 else { continue }
            positive += 1
            #expect(pgd.attack(q, epsilon: r) == nil)
            #expect(certifier.verify(q, epsilon: r).isVerified, "CROWN does not verify the Lipschitz radius \(r) of input \(i)")
        }
        #expect(positive > 0)
    }
}
