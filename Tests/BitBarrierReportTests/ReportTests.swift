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

/// The study's findings say only what the numbers carry.
@Suite struct StudyFindingsTests {
    static func variant(_ name: String, radii: [Double], attacks: [Double], barrier: Double? = nil) -> StudyResults.Variant {
        let samples = radii.indices.map { i in
            CertificationResults.Sample(index: i, label: 0, predicted: 0, certifiedRadius: radii[i], attackRadius: attacks[i], verified: [:], timeS: 0)
        }
        let prov = CertificationResults.Provenance(model: "/nonexistent/\(name).onnx", data: "/nonexistent/d.csv", tool: "test", options: [:])
        let c = CertificationResults(method: "crown", provenance: prov, samples: samples, radii: [], wallTimeS: 0, attack: true)
        return StudyResults.Variant(name: name, certification: c, lipschitzLInf: nil, medianLipschitzRadius: nil,
                                    barrierRadius: barrier.map { b in radii.map { _ in b } }, layers: nil)
    }

    @Test func equalVariantsAreNoDifference() {
        let a = Self.variant("a", radii: [0.1, 0.2, 0.3], attacks: [0.2, 0.3, 0.4])
        let b = Self.variant("b", radii: [0.1, 0.2, 0.3], attacks: [0.2, 0.3, 0.4])
        let s = StudyResults(data: "d", method: "crown", absorbEps: 0.01, variants: [a, b], pairs: [("a", "b")])
        #expect(s.findings.count == 1)
        #expect(s.findings[0].contains("No measurable difference") && !s.findings[0].contains("less robust"))
        #expect(s.pairs[0].same == 3 && s.pairs[0].gained == 0 && s.pairs[0].lost == 0)
    }

    @Test func lowerCertificatesWithOverlappingBracketsAreFlagged() {
        let a = Self.variant("fp32", radii: [0.1, 0.2, 0.3], attacks: [0.3, 0.4, 0.5])
        let b = Self.variant("int8", radii: [0.05, 0.1, 0.15], attacks: [0.3, 0.4, 0.5], barrier: 1e-7)
        let s = StudyResults(data: "d", method: "crown", absorbEps: 0.01, variants: [a, b], pairs: [("fp32", "int8")])
        #expect(s.findings[0].contains("less robust") && s.findings[0].contains("overlap"), "\(s.findings[0])")
        #expect(s.findings[0].contains("0.1 vs 0.2"), "the sentence carries both medians: \(s.findings[0])")
        // The int8 variant's barrier sentence: 1e-7 is far below its certified radius.
        #expect(s.findings.count == 2 && s.findings[1].contains("not from rounding"), "\(s.findings)")
        #expect(s.markdown().contains("| int8 | 1.000 |"))
    }

    @Test func disjointBracketsAreARealDifference() {
        let a = Self.variant("fp32", radii: [0.3, 0.4, 0.5], attacks: [0.35, 0.45, 0.55])
        let b = Self.variant("int8", radii: [0.05, 0.1, 0.15], attacks: [0.1, 0.2, 0.25])
        let s = StudyResults(data: "d", method: "crown", absorbEps: 0.01, variants: [a, b], pairs: [("fp32", "int8")])
        #expect(s.findings[0].contains("disjoint"), "\(s.findings[0])")
    }
}
