import Foundation
import Testing

/// End-to-end runs of the `bitbarrier` executable: outputs, JSON shape, exit codes, messages.
@Suite struct CLITests {
    let model = "Examples/digits-mlp/model.onnx"
    let data = "Examples/digits-mlp/test.csv"

    @Test func helpTeachesAndExitsZero() throws {
        let r = try CLI.run(["--help"])
        #expect(r.status == 0)
        for word in ["inspect", "eval", "bounds", "certify", "Exit codes"] { #expect(r.stdout.contains(word), "help lacks \(word)") }
    }

    @Test func inspectListsLayers() throws {
        let r = try CLI.run(["inspect", model])
        #expect(r.status == 0)
        #expect(r.stdout.contains("Dense 64->32") && r.stdout.contains("parameters 2778") && r.stdout.contains("logits"))
    }

    /// `eval` reproduces the committed onnxruntime outputs and accuracy of the bundled example.
    @Test func evalMatchesExpectedExample() throws {
        let out = CLI.temp("eval.json")
        let r = try CLI.run(["eval", model, "--data", data, "--json", out])
        #expect(r.status == 0, "\(r.stderr)")
        let ours = try CLI.json(out)
        let expected = try CLI.json(CLI.root.appendingPathComponent("Examples/digits-mlp/expected.json").path)
        #expect(ours["accuracy"] as? Double == expected["accuracy"] as? Double)
        #expect(ours["predicted"] as? [Int] == expected["predicted"] as? [Int])
        let a = ours["outputs"] as! [[Double]], b = expected["outputs"] as! [[Double]]
        // onnxruntime accumulates in float32 (its own order), we in Double: near-zero logits of a
        // row whose terms are ~10 differ by float32 rounding of the terms, so the tolerance is
        // 1e-5 relative to the row's largest logit (the benchmark nets meet the strict bar).
        for (x, y) in zip(a, b) {
            let scale = y.map(abs).max() ?? 1
            for (u, v) in zip(x, y) { #expect(abs(u - v) <= max(1e-6, 1e-5 * scale)) }
        }
    }

    @Test func certifyWritesBracketAndSummary() throws {
        let out = CLI.temp("certify.json")
        let r = try CLI.run(["certify", model, "--data", data, "--limit", "6", "--eps", "0.01,0.05", "--attack", "--json", out, "--jobs", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try CLI.json(out)
        #expect(j["model"] as? String == model && j["method"] as? String == "crown")
        let samples = j["samples"] as! [[String: Any]]
        #expect(samples.count == 6)
        for s in samples {
            let radius = s["certified_radius"] as! Double
            let verified = s["verified"] as! [String: Bool]
            #expect(verified["0.01"] == (radius >= 0.01) || verified["0.01"] == true)
            if let attack = s["attack_radius"] as? Double {
                #expect(attack >= radius, "attack found a counterexample inside the certified radius")
            }
        }
        let summary = j["summary"] as! [String: Any]
        #expect((summary["certified_accuracy"] as! [String: Double])["0.01"] != nil)
    }

    @Test(arguments: [
        (["inspect", "Tests/BitBarrierImportTests/Fixtures/models/unsupported_op.onnx"], "mystery_node"),
        (["inspect", "Tests/BitBarrierImportTests/Fixtures/models/truncated.onnx"], "truncated.onnx"),
        (["inspect", "/nonexistent.onnx"], "nonexistent.onnx"),
        (["eval", "Examples/digits-mlp/model.onnx", "--data", "Tests/BitBarrierDataTests/Fixtures/tiny.csv"], "the model input has 64"),
        (["eval", "Examples/digits-mlp/model.onnx", "--data", "/nonexistent.csv"], "nonexistent.csv"),
        (["bounds", "Examples/digits-mlp/model.onnx", "--data", "Examples/digits-mlp/test.csv", "--eps", "-1"], "--eps"),
        (["bounds", "Examples/digits-mlp/model.onnx", "--data", "Examples/digits-mlp/test.csv", "--eps", "nan"], "--eps"),
        (["certify", "Examples/digits-mlp/model.onnx", "--data", "Examples/digits-mlp/test.csv", "--eps", "0.1,x"], "'x'"),
        (["certify", "Examples/digits-mlp/model.onnx", "--data", "Examples/digits-mlp/test.csv", "--method", "magic"], "magic"),
        (["eval"], "model"),
    ])
    func badInputExitsTwoWithMessage(arguments: [String], expected: String) throws {
        let r = try CLI.run(arguments)
        #expect(r.status == 2, "exit \(r.status) for \(arguments): \(r.stderr)")
        #expect(r.stderr.contains(expected), "stderr '\(r.stderr)' lacks '\(expected)'")
        #expect(r.stdout.isEmpty)
    }

    @Test func labelOutOfRangeIsBadInput() throws {
        let path = CLI.temp("labels.csv")
        try ("12," + [String](repeating: "0.5", count: 64).joined(separator: ",") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let r = try CLI.run(["certify", model, "--data", path])
        #expect(r.status == 2 && r.stderr.contains("label 12"), "\(r.stderr)")
    }
}
