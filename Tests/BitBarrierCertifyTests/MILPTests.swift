import BitBarrierCertify
import BitBarrierCore
import BitBarrierData
import BitBarrierImport
import BitBarrierLP
import Foundation
import Testing

/// MILP verdicts agree with concrete evidence and with the sound methods.
@Suite struct MILPTests {
    static let network = try! ModelLoader.load(path: Shared.root.appendingPathComponent("Examples/digits-mlp/model.onnx").path)
    static let data = try! Dataset.loadCSV(path: Shared.root.appendingPathComponent("Examples/digits-mlp/test.csv").path)
    static let unit = [Double](repeating: 0, count: 64), one = [Double](repeating: 1, count: 64)

    static func query(_ i: Int) -> RobustnessQuery {
        RobustnessQuery(network: network, center: data.features[i], label: data.labels![i], domainLower: unit, domainUpper: one)
    }

    /// Where PGD finds a counterexample, MILP never verifies (and falsifies with a replayed one);
    /// where CROWN or LP verifies, MILP verifies too; LP's radius is at least CROWN's.
    @Test func milpAgreesWithAttacksAndBounds() {
        let milp = MILPVerifier(network: Self.network)
        let crown = Certifier(network: Self.network, method: .crown)
        let lp = Certifier(network: Self.network, method: .lp(LPOptions()))
        let pgd = PGDAttack(steps: 40, restarts: 2)
        var falsified = 0, verified = 0
        for i in 0..<6 {
            let q = Self.query(i)
            let rc = crown.certifiedRadius(q, maximum: 0.3, tolerance: 0.01)
            let rl = lp.certifiedRadius(q, maximum: 0.3, tolerance: 0.01)
            #expect(rl >= rc * (1 - 0.011), "input \(i): lp radius \(rl) below crown \(rc)")
            if rl > 0 {
                #expect(milp.verify(q, epsilon: rl).isVerified, "input \(i): MILP does not verify where LP does (eps \(rl))")
                verified += 1
            }
            for eps in [0.1, 0.2, 0.3] {
                guard let ce = pgd.attack(q, epsilon: eps) else { continue }
                let v = milp.verify(q, epsilon: eps)
                #expect(!v.isVerified, "input \(i) eps \(eps): PGD found a counterexample at distance \(ce.distance), MILP says verified")
                if case .falsified(let m) = v {
                    falsified += 1
                    #expect(q.margin(of: Self.network.evaluate(m.input)) <= 0 && q.contains(m.input, epsilon: eps))
                }
            }
        }
        #expect(verified > 0 && falsified > 0)
    }

    /// A solve cut short by its time limit is never `verified`.
    @Test func timeoutIsNeverVerified() throws {
        let net = try ModelLoader.load(path: Shared.net("mnist-net_256x2"))
        let data = try Dataset.loadCSV(path: Shared.mnistCSV, pixelScale: 255)
        let q = RobustnessQuery(network: net, center: data.features[0], label: data.labels![0],
                                domainLower: [Double](repeating: 0, count: 784), domainUpper: [Double](repeating: 1, count: 784))
        let milp = MILPVerifier(network: net, options: LPOptions(maxNeuronsPerLayer: 0, timeLimit: 0.001, tightenIntermediate: false))
        let v = milp.verify(q, epsilon: 0.05)
        #expect(!v.isVerified, "verdict \(v.label) with a 1 ms time limit")
    }
}
