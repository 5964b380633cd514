import Foundation

/// `junit.xml`: one test case per input (and per gate criterion), failing when below the gate.
public enum JUnitReport {
    public static func render(_ r: CertificationResults, gate: GateCriteria) -> String {
        let outcome = Gate.evaluate(r, gate)
        let e = SVG.escape
        var cases: [String] = []
        for s in r.samples {
            let name = "input \(s.index) (label \(s.label))"
            var body = ""
            if let why = outcome.inputFailures[s.index] {
                body = "<failure message=\"\(e(why))\">\(e(why))</failure>"
            }
            let props = "certified_radius=\(s.certifiedRadius)" + (s.attackRadius.map { " attack_radius=\($0)" } ?? "")
            cases.append("    <testcase classname=\"bitbarrier.\(e(r.method))\" name=\"\(e(name))\" time=\"\(String(format: "%.4f", s.timeS))\">\(body)<system-out>\(e(props))</system-out></testcase>")
        }
        for c in outcome.checks {
            let body = c.passed ? "" : "<failure message=\"\(e(c.detail))\">\(e(c.detail))</failure>"
            cases.append("    <testcase classname=\"bitbarrier.gate\" name=\"\(e(c.name))\" time=\"0\">\(body)<system-out>\(e(c.detail))</system-out></testcase>")
        }
        let failures = outcome.inputFailures.count + outcome.checks.filter { !$0.passed }.count
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuites name="bitbarrier" tests="\(cases.count)" failures="\(failures)" errors="0" time="\(String(format: "%.3f", r.summary.wallTimeS))">
              <testsuite name="\(e(r.model)) (\(e(r.method)))" tests="\(cases.count)" failures="\(failures)" errors="0" skipped="0" time="\(String(format: "%.3f", r.summary.wallTimeS))">
            \(cases.joined(separator: "\n"))
              </testsuite>
            </testsuites>

            """
    }
}
