import BitBarrierImport
import Foundation
import Testing

/// Every malformed or unsupported model is a clear `ImportError` naming the file (and the node
/// and operator where there is one), never a crash.
@Suite struct BadModelTests {
    static func importError(_ name: String) -> ImportError? {
        do {
            _ = try ModelLoader.load(path: Paths.fixture("models/" + name))
            return nil
        } catch let e as ImportError {
            return e
        } catch {
            Issue.record("\(name): unexpected error type \(type(of: error)): \(error)")
            return nil
        }
    }

    @Test(arguments: [
        ("truncated.onnx", "not a valid ONNX"),
        ("not_a_model.onnx", "not a valid ONNX"),
        ("unsupported_op.onnx", "Softsign"),
        ("missing_initializer.onnx", "not defined"),
        ("nan_weight.onnx", "nan"),
        ("shape_mismatch.onnx", "does not match"),
        ("empty_graph.onnx", "no graph"),
    ])
    func badModelIsAnImportError(name: String, expected: String) throws {
        let e = try #require(Self.importError(name), "\(name) was accepted")
        let text = e.description
        #expect(text.contains(name), "message does not name the file: \(text)")
        #expect(text.lowercased().contains(expected.lowercased()), "message '\(text)' does not say '\(expected)'")
    }

    @Test func unsupportedOperatorNamesTheNode() throws {
        let e = try #require(Self.importError("unsupported_op.onnx"))
        #expect(e.node == "mystery_node")
        #expect(e.opType == "Softsign")
    }

    @Test func missingFileAndUnknownExtension() {
        #expect(throws: ImportError.self) { try ModelLoader.load(path: "/nonexistent/model.onnx") }
        #expect(throws: ImportError.self) { try ModelLoader.load(path: Paths.fixtures.appendingPathComponent("models/zoo_conv.json").path) }
    }

    @Test func truncatedNNetIsAnError() throws {
        let text = try String(contentsOfFile: Paths.fixture("models/ACASXU_run2a_1_1.nnet"), encoding: .utf8)
        let cut = String(text.prefix(text.count / 2))
        #expect(throws: ImportError.self) { try NNetReader.parse(cut, file: "cut.nnet") }
        #expect(throws: ImportError.self) { try NNetReader.parse(text.replacingOccurrences(of: "0.", with: "x."), file: "bad.nnet") }
    }
}
