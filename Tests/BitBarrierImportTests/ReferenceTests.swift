import BitBarrierCore
import BitBarrierImport
import Foundation
import Testing

/// `eval` agrees with onnxruntime on every network in ../shared/benchmarks and on the fixture
/// models, within 1e-5 relative or 1e-6 absolute (the bar).
@Suite struct ReferenceTests {
    static let referenceFiles: [URL] = {
        let dir = Paths.fixtures.appendingPathComponent("references")
        let files = (try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)) ?? []
        return files.filter { $0.pathExtension == "json" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }()

    static let fixtureModels: [URL] = {
        let dir = Paths.fixtures.appendingPathComponent("models")
        let files = (try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)) ?? []
        return files.filter { $0.pathExtension == "json" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }()

    /// The largest deviation seen, relative to the bar: <= 1 passes.
    static func deviation(_ ours: [Float], _ theirs: [Float]) -> Double {
        var worst = 0.0
        for (a, b) in zip(ours, theirs) {
            let d = abs(Double(a) - Double(b))
            worst = max(worst, min(d / 1e-6, d / (1e-5 * max(abs(Double(b)), 1e-30))))
        }
        return worst
    }

    @Test func everyBenchmarkHasAReference() {
        #expect(Self.referenceFiles.count >= 60, "expected references for every shared benchmark network, found \(Self.referenceFiles.count)")
    }

    @Test(arguments: referenceFiles)
    func benchmarkNetworkMatchesOnnxruntime(_ file: URL) throws {
        let ref = try Reference.load(file)
        let modelPath = Paths.benchmarks.appendingPathComponent(ref.model).path
        try #require(FileManager.default.fileExists(atPath: modelPath), "missing \(modelPath)")
        let network = try ModelLoader.load(path: modelPath)
        #expect(network.inputSize == ref.input_shape.reduce(1, *))
        for (x, y) in zip(ref.inputs, ref.outputs) {
            let out = network.evaluate(x)
            #expect(out.count == y.count)
            let dev = Self.deviation(out, y)
            #expect(dev <= 1, "\(ref.model): deviation \(dev) x the tolerance; ours \(out.prefix(4)) vs onnxruntime \(y.prefix(4))")
        }
    }

    @Test(arguments: fixtureModels)
    func fixtureModelMatchesOnnxruntime(_ file: URL) throws {
        let ref = try Reference.load(file)
        let network = try ModelLoader.load(path: Paths.fixture("models/" + ref.model))
        for (x, y) in zip(ref.inputs, ref.outputs) {
            let dev = Self.deviation(network.evaluate(x), y)
            #expect(dev <= 1, "\(ref.model): deviation \(dev) x the tolerance")
        }
    }
}
