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

/// Reports and the gate end to end: schema, exit codes, the HTML in a real browser.
@Suite struct ReportCLITests {
    let model = "Examples/digits-mlp/model.onnx"
    let data = "Examples/digits-mlp/test.csv"

    func certify(_ extra: [String] = []) throws -> (String, CLI.Result) {
        let out = CLI.temp("r-\(extra.count)-\(UUID().uuidString).json")
        let r = try CLI.run(["certify", model, "--data", data, "--limit", "8", "--eps", "0.01,0.05", "--attack", "--json", out] + extra)
        return (out, r)
    }

    /// Every JSON `certify` writes validates against Reports/schema/certify.schema.json.
    @Test func certifyJSONMatchesTheSchema() throws {
        let schema = try JSONSerialization.jsonObject(with: Data(contentsOf: CLI.root.appendingPathComponent("Reports/schema/certify.schema.json")))
        for method in ["ibp", "crown", "lp", "milp"] {
            let (out, r) = try certify(["--method", method, "--max-radius", "0.2", "--tolerance", "0.01"])
            #expect(r.status == 0, "\(r.stderr)")
            let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out)))
            let errors = SchemaValidator.validate(doc, schema as! [String: Any])
            #expect(errors.isEmpty, "\(method): \(errors)")
        }
        // The validator itself rejects what the schema forbids.
        #expect(!SchemaValidator.validate(["schema_version": 2], schema as! [String: Any]).isEmpty)
    }

    @Test func gateExitCodes() throws {
        let (out, r) = try certify()
        #expect(r.status == 0)
        #expect(try CLI.run(["gate", out, "--min-certified-accuracy", "0.5", "--at-eps", "0.01"]).status == 0)
        let fail = try CLI.run(["gate", out, "--min-radius", "0.2"])
        #expect(fail.status == 1 && fail.stderr.contains("FAIL") && fail.stderr.contains("below the minimum radius"))
        #expect(try CLI.run(["gate", out, "--baseline", out, "--max-regression", "0"]).status == 0)
        #expect(try CLI.run(["gate", "/nonexistent.json", "--min-radius", "0.1"]).status == 2)
        #expect(try CLI.run(["gate", out]).status == 2, "no threshold is bad usage")
        #expect(try CLI.run(["gate", out, "--min-certified-accuracy", "1.5", "--at-eps", "0.01"]).status == 2)
        let notResults = CLI.root.appendingPathComponent("Examples/digits-mlp/expected.json").path
        let bad = try CLI.run(["gate", notResults, "--min-radius", "0.1"])
        #expect(bad.status == 2 && bad.stderr.contains("expected.json"))
        // certify with a failing gate exits 1 after writing its outputs.
        let (gated, g) = try certify(["--min-radius", "0.5"])
        #expect(g.status == 1 && FileManager.default.fileExists(atPath: gated))
    }

    /// report writes the three files; Chromium (when installed) renders the HTML with its plots.
    @Test func reportRendersInABrowser() throws {
        let (a, _) = try certify()
        let (b, _) = try certify(["--method", "ibp"])
        let dir = CLI.temp("report-\(UUID().uuidString)")
        let r = try CLI.run(["report", a, b, "--out", dir, "--min-radius", "0.001"])
        #expect(r.status == 0, "\(r.stderr)")
        for f in ["report.md", "report.html", "junit.xml"] { #expect(FileManager.default.fileExists(atPath: dir + "/" + f)) }
        let browser = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let browser else { return }  // scripts/render-report.sh documents installing it
        let p = Process()
        p.executableURL = URL(fileURLWithPath: browser)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", "file://" + dir + "/report.html"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        let dom = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(dom.components(separatedBy: "<svg").count - 1 == 5, "the browser's DOM lacks the plots")
        #expect(dom.contains("<table class=\"sortable\""))
    }
}

/// A JSON Schema validator for the subset our schemas use: type (one or several), enum,
/// required, properties, additionalProperties (false or a schema), items, minimum, maximum, pattern.
enum SchemaValidator {
    static func validate(_ value: Any, _ schema: [String: Any], path: String = "$") -> [String] {
        if let ref = schema["$ref"] as? String {
            // Only references to sibling schema files are used.
            let url = CLI.root.appendingPathComponent("Reports/schema/" + ref)
            guard let data = try? Data(contentsOf: url), let target = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                return ["\(path): cannot resolve $ref \(ref)"]
            }
            return validate(value, target, path: path)
        }
        var errors: [String] = []
        if let t = schema["type"] {
            let types = (t as? [String]) ?? [t as! String]
            if !types.contains(where: { matches(value, $0) }) { return ["\(path): expected \(types), got \(type(of: value))"] }
        }
        if let e = schema["enum"] as? [Any], !e.contains(where: { "\($0)" == "\(value)" }) { errors.append("\(path): \(value) not in \(e)") }
        if let n = value as? NSNumber, !(value is Bool) {
            if let m = schema["minimum"] as? Double, n.doubleValue < m { errors.append("\(path): \(n) < \(m)") }
            if let m = schema["maximum"] as? Double, n.doubleValue > m { errors.append("\(path): \(n) > \(m)") }
        }
        if let s = value as? String, let p = schema["pattern"] as? String, s.range(of: p, options: .regularExpression) == nil {
            errors.append("\(path): '\(s)' does not match \(p)")
        }
        if let o = value as? [String: Any] {
            for r in (schema["required"] as? [String]) ?? [] where o[r] == nil { errors.append("\(path): missing '\(r)'") }
            let props = (schema["properties"] as? [String: Any]) ?? [:]
            for (k, v) in o {
                if let ps = props[k] as? [String: Any] {
                    errors += validate(v, ps, path: path + "." + k)
                } else if let extra = schema["additionalProperties"] {
                    if let allowed = extra as? Bool, !allowed { errors.append("\(path): unexpected '\(k)'") }
                    if let es = extra as? [String: Any] { errors += validate(v, es, path: path + "." + k) }
                }
            }
        }
        if let a = value as? [Any], let items = schema["items"] as? [String: Any] {
            for (i, v) in a.enumerated() { errors += validate(v, items, path: "\(path)[\(i)]") }
        }
        return errors
    }

    static func matches(_ v: Any, _ type: String) -> Bool {
        switch type {
        case "object": return v is [String: Any]
        case "array": return v is [Any]
        case "string": return v is String
        case "boolean": return isBool(v)
        case "integer": return !isBool(v) && ((v as? NSNumber).map { $0.doubleValue == $0.doubleValue.rounded() } ?? false)
        case "number": return !isBool(v) && v is NSNumber
        case "null": return v is NSNull
        default: return false
        }
    }

    /// JSONSerialization gives booleans as a distinct NSNumber subclass (objCType "c", class name
    /// containing "Boolean"); plain numbers are NSNumber.
    static func isBool(_ v: Any) -> Bool { "\(type(of: v))".contains("Boolean") || "\(type(of: v))" == "Bool" }
}

/// int8 end to end: compare, absorb, and a report with every plot.
@Suite struct QuantizedCLITests {
    @Test func compareAbsorbAndReportWithEveryPlot() throws {
        let dir = CLI.temp("int8-\(UUID().uuidString)")
        let cmp = dir + "-compare.json", abs = dir + "-absorb.json"
        let c = try CLI.run(["compare", "Examples/digits-cnn/model.onnx", "Examples/digits-cnn/model_qdq.onnx", "--data", "Examples/digits-cnn/test.csv",
                             "--limit", "4", "--eps", "0.01", "--max-radius", "0.2", "--tolerance", "0.02", "--json", cmp])
        #expect(c.status == 0, "\(c.stderr)")
        #expect(c.stdout.contains("int8 certifies more on"))
        let a = try CLI.run(["absorb", "Examples/digits-cnn/model_qdq.onnx", "--data", "Examples/digits-cnn/test.csv", "--limit", "4", "--eps", "0.001", "--json", abs])
        #expect(a.status == 0, "\(a.stderr)")
        for (file, schema) in [(cmp, "compare.schema.json"), (abs, "absorb.schema.json")] {
            let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file)))
            let s = try JSONSerialization.jsonObject(with: Data(contentsOf: CLI.root.appendingPathComponent("Reports/schema/" + schema))) as! [String: Any]
            let errors = SchemaValidator.validate(doc, s)
            #expect(errors.isEmpty, "\(schema): \(errors.prefix(5))")
        }
        let r = try CLI.run(["report", cmp, abs, "--out", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let html = try String(contentsOfFile: dir + "/report.html", encoding: .utf8)
        for plot in ["certified accuracy vs eps", "certified radius histogram", "radius scatter", "per-layer absorption", "per-pixel absorption"] {
            #expect(html.contains("aria-label=\"\(plot)\""), "the report lacks the \(plot) plot")
        }
        // absorb on an FP32 model is bad input.
        let bad = try CLI.run(["absorb", "Examples/digits-cnn/model.onnx", "--data", "Examples/digits-cnn/test.csv", "--eps", "0.001"])
        #expect(bad.status == 2 && bad.stderr.contains("QuantizeLinear"))
    }
}

/// `verify` end to end on the VNN-COMP `test` benchmark: verdicts, the result file, exit codes.
@Suite struct VerifyCLITests {
    static let test = CLI.shared.appendingPathComponent("benchmarks/vnncomp2021/test")

    @Test func satWritesAReplayableWitnessAndUnsatHolds() throws {
        let out = CLI.temp("verify-\(UUID().uuidString).txt")
        let sat = try CLI.run(["verify", Self.test.appendingPathComponent("test_sat.onnx").path,
                               Self.test.appendingPathComponent("test_prop.vnnlib").path, "--timeout", "30", "--result", out])
        #expect(sat.status == 0, "\(sat.stderr)")
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text.hasPrefix("sat"))
        #expect(text.contains("(X_0 ") && text.contains("(Y_0 "))
        let unsat = try CLI.run(["verify", Self.test.appendingPathComponent("test_unsat.onnx").path,
                                 Self.test.appendingPathComponent("test_prop.vnnlib").path, "--timeout", "30"])
        #expect(unsat.status == 0 && unsat.stdout.hasPrefix("unsat"), "\(unsat.stdout) \(unsat.stderr)")
        let bad = try CLI.run(["verify", Self.test.appendingPathComponent("test_nano.onnx").path,
                               Self.test.appendingPathComponent("test_prop.vnnlib").path])
        #expect(bad.status == 2, "a property that does not fit the model is bad input")
    }
}

/// `study`: several variants on the same inputs, findings with their numbers, clear errors.
@Suite struct StudyCLITests {
    @Test func studyOfFp32AndInt8() throws {
        let out = CLI.temp("study.json"), md = CLI.temp("study.md")
        let r = try CLI.run(["study", "--variant", "fp32=Examples/digits-mlp/model.onnx", "--variant", "int8=Examples/digits-mlp-int8/model_qdq.onnx",
                             "--data", "Examples/digits-mlp/test.csv", "--limit", "5", "--eps", "0.01", "--attack", "--max-radius", "0.2",
                             "--tolerance", "0.01", "--jobs", "2", "--json", out, "--markdown", md])
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try CLI.json(out)
        #expect(doc["kind"] as? String == "study")
        let variants = try #require(doc["variants"] as? [[String: Any]])
        #expect(variants.count == 2)
        for v in variants {
            let samples = try #require((v["certification"] as? [String: Any])?["samples"] as? [[String: Any]])
            #expect(samples.count == 5)
            for s in samples {
                let c = s["certified_radius"] as! Double
                if let a = s["attack_radius"] as? Double { #expect(c <= a, "\(v["name"]!): certified \(c) above attack \(a)") }
            }
        }
        #expect(variants[0]["barrier_radius"] == nil || variants[0]["barrier_radius"] is NSNull)
        #expect((variants[1]["barrier_radius"] as? [Any])?.count == 5)
        let findings = try #require(doc["findings"] as? [String])
        #expect(findings.count == 2, "\(findings)")
        #expect(try String(contentsOfFile: md, encoding: .utf8).contains("## Findings"))
    }

    @Test func badVariantsAreUsageErrors() throws {
        for args in [["--variant", "nomodel"], ["--variant", "a=Examples/digits-mlp/model.onnx", "--pair", "a,b"],
                     ["--variant", "a=Examples/missing.onnx"]] {
            let r = try CLI.run(["study"] + args + ["--data", "Examples/digits-mlp/test.csv"])
            #expect(r.status == 2 && !r.stderr.isEmpty, "\(args): status \(r.status)")
        }
    }
}
