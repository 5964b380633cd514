import BitBarrierCore
import BitBarrierImport
import Foundation
import Testing

/// The .nnet reader builds the same function as the ONNX network it was converted from.
@Suite struct NNetTests {
    @Test func acasNNetMatchesOnnxruntime() throws {
        let ref = try Reference.load(Paths.fixtures.appendingPathComponent("models/ACASXU_run2a_1_1.nnet.json"))
        let network = try ModelLoader.load(path: Paths.fixture("models/ACASXU_run2a_1_1.nnet"))
        #expect(network.inputSize == 5 && network.outputSize == 5)
        #expect(network.nodes.filter { $0.layer is ReLU }.count == 6)
        for (x, y) in zip(ref.inputs, ref.outputs) {
            #expect(ReferenceTests.deviation(network.evaluate(x), y) <= 1)
        }
    }
}
