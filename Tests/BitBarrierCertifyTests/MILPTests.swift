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

    /// The two complete searches agree: ReLU splitting's exact bracket, checked just inside and
    /// just outside by GLPK's MILP branch and bound (verified inside, never verified outside).
    @Test func splittingAgreesWithGLPKsBranchAndBound() {
        let split = MILPVerifier(network: Self.network)
        var glpk = MILPVerifier(network: Self.network)
        glpk.splitReLUs = false
        var falsifiedOutside = 0
        for i in 0..<4 {
            let q = Self.query(i)
            let (proved, falsified) = split.radiusBracket(q, maximum: 0.3, tolerance: 1e-3)
            #expect(proved > 0, "input \(i): nothing proved")
            guard let ce = falsified else { Issue.record("input \(i): no counterexample below 0.3"); continue }
            #expect(ce.distance >= proved && ce.distance <= proved * 1.002 + 1e-9, "input \(i): bracket [\(proved), \(ce.distance)] not closed")
            #expect(q.margin(of: Self.network.evaluate(ce.input)) <= 0)
            #expect(glpk.verify(q, epsilon: proved * 0.99).isVerified, "input \(i): GLPK does not verify inside the bracket")
            let outside = glpk.verify(q, epsilon: ce.distance * 1.01)
            #expect(!outside.isVerified, "input \(i): GLPK verifies beyond a replayed counterexample")
            if case .falsified = outside { falsifiedOutside += 1 }
        }
        #expect(falsifiedOutside > 0)
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

/// Exact MILP on int8 models: the quantizers' rounded values are integer variables, so the
/// verdict is the int8 model's own. Checked against brute force: the model is a function of the
/// quantized input, so enumerating every combination of the input bins the ball reaches (few,
/// for a radius a little above the barrier radius) gives the true answer.
@Suite struct QuantizedMILPTests {
    static let dir = Shared.root.appendingPathComponent("Examples/digits-mlp-int8")
    static let data = try! Dataset.loadCSV(path: dir.appendingPathComponent("test.csv").path)
    static let unit = [Double](repeating: 0, count: 64), one = [Double](repeating: 1, count: 64)

    /// One float32 representative in [lo, hi] of every input bin the interval reaches.
    static func representatives(_ q: QuantizeLinear, _ j: Int, lo: Double, hi: Double) -> [Float] {
        let fl = Float(lo) < Float(lo.nextUp) && Double(Float(lo)) < lo ? Float(lo).nextUp : Float(lo)
        let fh = Double(Float(hi)) > hi ? Float(hi).nextDown : Float(hi)
        var found: [Float: Float] = [:]
        var candidates = [fl, fh]
        for bin in stride(from: q.quantize(fl, j), through: q.quantize(fh, j), by: 1) {
            candidates.append(Float((Double(bin) - Double(q.zeroPoint[j])) * Double(q.scale[j])))
        }
        for c in candidates where c >= fl && c <= fh {
            let bin = q.quantize(c, j)
            if found[bin] == nil { found[bin] = c }
        }
        return found.keys.sorted().map { found[$0]! }
    }

    @Test(arguments: ["model_qop.onnx", "model_qdq.onnx"])
    func milpIsExactOnTheQuantizedGrid(_ file: String) throws {
        let network = try ModelLoader.load(path: Self.dir.appendingPathComponent(file).path)
        let absorption = AbsorptionAnalysis(network: network)
        let qi = try #require(absorption.inputQuantizer)
        let quantizer = network.nodes[qi].layer as! QuantizeLinear
        let milp = MILPVerifier(network: network)
        var verified = 0, falsified = 0, combinations = 0
        for i in 0..<8 {
            let x = Self.data.features[i]
            let q = RobustnessQuery(network: network, center: x, label: Self.data.labels![i], domainLower: Self.unit, domainUpper: Self.one)
            guard q.margin(of: network.evaluate(x)) > 0, let radii = absorption.absorbedRadii(x, domainLower: Self.unit, domainUpper: Self.one) else { continue }
            // Radii just past the k-th smallest barrier distance: about k pixels change bin.
            let sorted = radii.filter { $0.isFinite }.sorted()
            for k in [3, 7] where k < sorted.count {
                let eps = sorted[k - 1] + 0.25 * (sorted[k] - sorted[k - 1])
                guard eps > 0 else { continue }
                let box = q.box(epsilon: eps)
                let choices = (0..<64).map { j in Self.representatives(quantizer, j, lo: box.lower[j], hi: box.upper[j]) }
                let total = choices.reduce(1) { $0 * max($1.count, 1) }
                guard total <= 1 << 10 else { continue }
                var flip = false
                var point = x
                for c in 0..<total {
                    var rest = c
                    for j in 0..<64 where choices[j].count > 1 {
                        point[j] = choices[j][rest % choices[j].count]
                        rest /= choices[j].count
                    }
                    if q.margin(of: network.evaluate(point)) <= 0 { flip = true; break }
                }
                combinations += total
                let v = milp.verify(q, epsilon: eps)
                if flip {
                    #expect(!v.isVerified, "\(file) input \(i) eps \(eps): a grid point flips the label, MILP says verified")
                    if case .falsified = v { falsified += 1 }
                } else {
                    #expect(v.isVerified, "\(file) input \(i) eps \(eps): no grid point of \(total) flips the label, MILP says \(v.label)")
                    if v.isVerified { verified += 1 }
                }
            }
        }
        #expect(verified > 0 && combinations > 50)
        print("\(file): \(verified) verified, \(falsified) falsified, \(combinations) grid points enumerated")
    }

    /// Where PGD (through the FP32 surrogate's gradient) breaks the int8 model, the exact MILP
    /// falsifies with a replayed point; where it proves, PGD finds nothing.
    @Test func milpAgreesWithAttacksOnInt8() throws {
        let network = try ModelLoader.load(path: Self.dir.appendingPathComponent("model_qop.onnx").path)
        // A short limit: a hard MILP ends as a timeout, which must not be `verified` either.
        let milp = MILPVerifier(network: network, options: LPOptions(timeLimit: 3))
        let pgd = PGDAttack(steps: 40, restarts: 2)
        var falsified = 0
        for i in 0..<3 {
            let q = RobustnessQuery(network: network, center: Self.data.features[i], label: Self.data.labels![i], domainLower: Self.unit, domainUpper: Self.one)
            for eps in [0.05, 0.15] {
                let v = milp.verify(q, epsilon: eps)
                if let ce = pgd.attack(q, epsilon: eps) {
                    #expect(!v.isVerified, "input \(i) eps \(eps): PGD broke the int8 model at \(ce.distance), MILP says verified")
                }
                if case .falsified(let m) = v {
                    falsified += 1
                    #expect(q.margin(of: network.evaluate(m.input)) <= 0 && q.contains(m.input, epsilon: eps))
                }
            }
        }
        #expect(falsified > 0)
    }
}
