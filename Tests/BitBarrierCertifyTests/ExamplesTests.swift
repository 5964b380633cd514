import BitBarrierCertify
import BitBarrierCore
import BitBarrierData
import BitBarrierImport
import Foundation
import Testing

/// The expected outcomes stated in Examples/mnist-mlp/README.md and Examples/mnist-cnn/README.md
/// (issue 8), checked on a few inputs so that a retrained or re-quantized model that no longer
/// shows them fails here.
@Suite struct ExamplesTests {
    static func dir(_ family: String) -> URL { Shared.root.appendingPathComponent("Examples/\(family)") }
    static func load(_ family: String, _ stem: String) throws -> Network {
        try ModelLoader.load(path: dir(family).appendingPathComponent(stem + ".onnx").path)
    }

    /// The Lipschitz penalty shows in the sound bound: at least 10x below the plain model's.
    @Test(arguments: ["mnist-mlp", "mnist-cnn"])
    func lipschitzPenaltyLowersTheSoundBound(_ family: String) throws {
        let plain = try #require(LipschitzBounds(network: try Self.load(family, "model_fp32")).networkLInf)
        let lip = try #require(LipschitzBounds(network: try Self.load(family, "model_fp32_lip")).networkLInf)
        #expect(lip * 10 < plain, "\(family): L-inf bound \(lip) (penalised) vs \(plain) (plain)")
    }

    /// The pixels are k/256 and the input quantizer's scale is 1/256: every pixel sits on a bin
    /// centre, so the barrier radius is half a bin, 1/512, on every input (of both int8 variants).
    @Test(arguments: ["mnist-mlp", "mnist-cnn"])
    func barrierRadiusIsHalfABin(_ family: String) throws {
        let data = try Dataset.loadCSV(path: Self.dir(family).appendingPathComponent("test.csv").path)
        let n = data.features[0].count
        let lo = [Double](repeating: 0, count: n), hi = [Double](repeating: 1, count: n)
        for stem in ["model_int8_ptq_qdq", "model_int8_qat_lip_qdq"] {
            let analysis = AbsorptionAnalysis(network: try Self.load(family, stem))
            for i in 0..<10 {
                let b = try #require(analysis.absorbedRadii(data.features[i], domainLower: lo, domainUpper: hi)?.min())
                #expect(abs(b - 1.0 / 512) < 1e-6, "\(family)/\(stem) input \(i): barrier radius \(b)")
            }
        }
    }

    /// On the MLP, by CROWN certificate: post-training int8 certifies less than FP32, the
    /// Lipschitz-regularised FP32 more than FP32, and QAT with the penalty more than PTQ int8 —
    /// on each of the first 5 correctly classified inputs.
    @Test func certifiedRadiiOrderOnTheMLP() throws {
        let family = "mnist-mlp"
        let data = try Dataset.loadCSV(path: Self.dir(family).appendingPathComponent("test.csv").path)
        let lo = [Double](repeating: 0, count: 784), hi = [Double](repeating: 1, count: 784)
        var radius: [String: [Double]] = [:]
        let stems = ["model_fp32", "model_int8_ptq_qdq", "model_fp32_lip", "model_int8_qat_lip_qdq"]
        for stem in stems {
            let net = try Self.load(family, stem)
            let certifier = Certifier(network: net, method: .crown)
            radius[stem] = (0..<5).map { i in
                let q = RobustnessQuery(network: net, center: data.features[i], label: data.labels![i], domainLower: lo, domainUpper: hi)
                return certifier.certifiedRadius(q, maximum: 0.3, tolerance: 0.01)
            }
        }
        for i in 0..<5 {
            let r = stems.map { radius[$0]![i] }
            #expect(r[1] < r[0] && r[2] > r[0] && r[3] > r[1], "input \(i): radii fp32 \(r[0]), int8-ptq \(r[1]), fp32-lip \(r[2]), int8-qat-lip \(r[3])")
        }
    }
}
