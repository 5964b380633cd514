import BitBarrierReport
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

@Suite struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func standardVectors(input: String, digest: String) {
        #expect(SHA256.hex(Data(input.utf8)) == digest)
    }

    @Test func millionA() {
        #expect(SHA256.hex(Data(repeating: UInt8(ascii: "a"), count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}

@Suite struct GateTests {
    static func results(radii: [Double], predictedWrong: Set<Int> = []) -> CertificationResults {
        let samples = radii.enumerated().map { i, r in
            CertificationResults.Sample(index: i, label: 1, predicted: predictedWrong.contains(i) ? 2 : 1, certifiedRadius: predictedWrong.contains(i) ? 0 : r,
                                        attackRadius: nil, verified: ["0.01": r >= 0.01 && !predictedWrong.contains(i)], timeS: 0.01)
        }
        let p = CertificationResults.Provenance(model: "/nonexistent/m.onnx", data: "/nonexistent/d.csv", tool: "test", options: [:])
        return CertificationResults(method: "crown", provenance: p, samples: samples, radii: [0.01], wallTimeS: 1, attack: false)
    }

    @Test func minRadiusFailsTheWeakInputsAndNamesTheWorst() {
        let r = Self.results(radii: [0.05, 0.002, 0.03, 0.04], predictedWrong: [3])
        let o = Gate.evaluate(r, GateCriteria(minRadius: 0.01))
        #expect(!o.passed)
        #expect(Set(o.inputFailures.keys) == [1, 3])
        #expect(o.reasons.first?.contains("2 of 4") == true)
        #expect(Gate.evaluate(r, GateCriteria(minRadius: 0)).inputFailures.keys.sorted() == [3])
    }

    @Test func certifiedAccuracyAndRegression() {
        let r = Self.results(radii: [0.05, 0.002, 0.03, 0.04])
        #expect(Gate.evaluate(r, GateCriteria(minCertifiedAccuracy: 0.75, atEps: 0.01)).passed)
        #expect(!Gate.evaluate(r, GateCriteria(minCertifiedAccuracy: 0.8, atEps: 0.01)).passed)
        // eps not listed: taken from the radii (0.035 holds for 2 of 4).
        #expect(Gate.certifiedAccuracy(r, at: 0.035) == 0.5)
        let better = Self.results(radii: [0.06, 0.01, 0.04, 0.05])
        #expect(Gate.evaluate(r, GateCriteria(baseline: better, maxRegression: 0.1)).passed == false)
        #expect(Gate.evaluate(r, GateCriteria(baseline: better, maxRegression: 0.5)).passed)
    }

    /// The JUnit file is well-formed XML with one case per input plus one per criterion, and its
    /// failure count matches the gate.
    @Test func junitStructure() throws {
        let r = Self.results(radii: [0.05, 0.002, 0.03])
        let xml = JUnitReport.render(r, gate: GateCriteria(minRadius: 0.01, minCertifiedAccuracy: 0.9, atEps: 0.01))
        let counter = XMLCounter()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = counter
        #expect(parser.parse(), "not well-formed: \(parser.parserError.map { "\($0)" } ?? "")")
        #expect(counter.counts["testcase"] == 3 + 2)
        #expect(counter.counts["failure"] == 1 + 2, "input 1 and both criteria")
        #expect(counter.suiteFailures == "3")
    }

    @Test func reportsRenderEveryPlot() {
        let a = Self.results(radii: [0.05, 0.002, 0.03]), b = Self.results(radii: [0.04, 0.01, 0.03])
        let html = HTMLReport.render([a, b], gate: GateCriteria(minRadius: 0.01))
        #expect(html.components(separatedBy: "<svg").count - 1 == 5, "two plots per results file and the comparison scatter")
        #expect(!html.contains("http://") || html.components(separatedBy: "http://").count - 1 == 5, "no external resources besides the SVG namespace")
        #expect(!html.contains("<script src"))
        let md = MarkdownReport.render([a], gate: GateCriteria(minRadius: 0.01))
        #expect(md.contains("Gate: FAILED") && md.contains("| 0.01 |") && md.contains("Findings"))
    }
}

final class XMLCounter: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]
    var suiteFailures: String?
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        counts[name, default: 0] += 1
        if name == "testsuite" { suiteFailures = attributes["failures"] }
    }
}
