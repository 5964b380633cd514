import BitBarrierCertify
import BitBarrierCore
import BitBarrierData
import BitBarrierImport
import Foundation
import Testing

/// Verdicts never contradict known answers or concrete evidence.
@Suite struct SoundnessTests {
    struct Instance { var category: String; var onnx: String; var vnnlib: String; var verdict: String }

    static let instances: [Instance] = {
        let path = Shared.benchmarks.appendingPathComponent("results/reference_verdicts.csv").path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let header = lines.first, let v = header.firstIndex(of: "reference_verdict") else { return [] }
        return lines.dropFirst().compactMap { f in
            guard f.count > v else { return nil }
            return Instance(category: f[0] + "/" + f[1], onnx: f[2], vnnlib: f[3], verdict: f[v])
        }
    }()

    static func locate(_ category: String, _ file: String) -> String? {
        let year = category.hasPrefix("2021") ? "vnncomp2021" : "vnncomp2022"
        let bench = String(category.split(separator: "/")[1])
        for sub in ["", "onnx/", "vnnlib/", "nets/", "specs/"] {
            let p = Shared.benchmarks.appendingPathComponent("\(year)/\(bench)/\(sub)\(file)").path
            if FileManager.default.fileExists(atPath: p) { return p }
        }
        return nil
    }

    /// No instance whose reference verdict is `sat` is ever proved, by IBP or CROWN.
    @Test func knownSatInstancesAreNeverVerified() throws {
        let sat = Self.instances.filter { $0.verdict == "sat" && ($0.category.contains("acasxu") || $0.category.contains("mnist") || $0.category.contains("test")) }
        #expect(sat.count >= 40, "expected the published sat instances, found \(sat.count)")
        var checked = 0
        for inst in sat {
            guard let onnx = Self.locate(inst.category, inst.onnx), let spec = Self.locate(inst.category, inst.vnnlib) else { continue }
            let network = try ModelLoader.load(path: onnx)
            let property = try VNNLibSpec.load(path: spec)
            for method in [BoundMethod.ibp, .crown] {
                let v = PropertyVerifier(network: network, method: method).verify(property)
                #expect(!v.isVerified, "\(inst.category) \(inst.onnx) \(inst.vnnlib) is sat but \(method) proved it")
            }
            checked += 1
        }
        #expect(checked >= 40)
    }

    /// Proved unsat instances exist (the verifier is not vacuous), and none of them is sat.
    @Test func someUnsatInstancesAreVerified() throws {
        let acas = Self.instances.filter { $0.category == "2021/acasxu" && ($0.vnnlib == "prop_3.vnnlib" || $0.vnnlib == "prop_4.vnnlib") }
        var verified = 0
        for inst in acas.prefix(20) {
            guard let onnx = Self.locate(inst.category, inst.onnx), let spec = Self.locate(inst.category, inst.vnnlib) else { continue }
            let v = PropertyVerifier(network: try ModelLoader.load(path: onnx), method: .crown).verify(try VNNLibSpec.load(path: spec))
            if v.isVerified {
                verified += 1
                #expect(inst.verdict != "sat")
            }
        }
        #expect(verified > 0, "CROWN proved none of 20 ACAS Xu prop 3/4 instances")
    }

    /// The certified radius is verified; attacks never succeed inside it; every attack
    /// counterexample replays to a wrong (or tied) label on the concrete model.
    @Test func radiusAndAttackBracket() throws {
        let network = try ModelLoader.load(path: Shared.root.appendingPathComponent("Examples/digits-mlp/model.onnx").path)
        let data = try Dataset.loadCSV(path: Shared.root.appendingPathComponent("Examples/digits-mlp/test.csv").path)
        let unit = [Double](repeating: 0, count: 64), one = [Double](repeating: 1, count: 64)
        let pgd = PGDAttack(steps: 30, restarts: 2)
        var attacked = 0
        for method in [BoundMethod.ibp, .crown] {
            let certifier = Certifier(network: network, method: method)
            for i in 0..<12 {
                let q = RobustnessQuery(network: network, center: data.features[i], label: data.labels![i], domainLower: unit, domainUpper: one)
                let r = certifier.certifiedRadius(q, maximum: 0.5)
                if r > 0 {
                    #expect(certifier.verify(q, epsilon: r).isVerified)
                    #expect(pgd.attack(q, epsilon: r) == nil, "attack succeeded inside the certified radius \(r) of input \(i)")
                }
                if let ce = pgd.attackRadius(q, lower: r, maximum: 0.5) {
                    attacked += 1
                    #expect(ce.distance >= r, "counterexample at \(ce.distance) inside certified radius \(r)")
                    let y = network.evaluate(ce.input)
                    #expect(q.margin(of: y) <= 0)
                    #expect(q.contains(ce.input, epsilon: ce.distance))
                }
            }
        }
        #expect(attacked > 0, "PGD found no counterexample up to eps 0.5 on any input")
    }

    @Test func misclassifiedInputHasRadiusZero() throws {
        let network = try ModelLoader.load(path: Shared.root.appendingPathComponent("Examples/digits-mlp/model.onnx").path)
        let data = try Dataset.loadCSV(path: Shared.root.appendingPathComponent("Examples/digits-mlp/test.csv").path)
        let i = 0
        let predicted = network.evaluate(data.features[i]).indices.max { network.evaluate(data.features[i])[$0] < network.evaluate(data.features[i])[$1] }!
        let wrong = (predicted + 1) % 10
        let q = RobustnessQuery(network: network, center: data.features[i], label: wrong)
        #expect(Certifier(network: network, method: .crown).certifiedRadius(q, maximum: 0.5) == 0)
        #expect(PGDAttack().attackRadius(q, lower: 0, maximum: 0.5)?.distance == 0)
    }
}
