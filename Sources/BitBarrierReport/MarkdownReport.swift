import Foundation

/// `report.md`: summary, method, certified accuracy at each eps, worst inputs, findings.
public enum MarkdownReport {
    public static func render(_ results: [CertificationResults], absorption: [AbsorptionResults] = [], gate: GateCriteria? = nil) -> String {
        var md = "# BitBarrier robustness report\n\n"
        for r in results { md += section(r, gate: gate) }
        for a in absorption {
            let full = a.samples.filter { ($0.barrierRadius ?? .infinity) > a.eps }.count
            md += "## Absorption: \(a.model) at eps \(a.eps)\n\n\(full) of \(a.samples.count) inputs are fully absorbed by the input quantizer.\n\n"
            md += "| quantized layer | fixed to one bin | mean width (bins) |\n|---|---|---|\n"
            for l in a.layerSummary { md += "| \(l.name) | \(pct(l.fixed)) | \(String(format: "%.2f", l.width)) |\n" }
            md += "\n"
        }
        if results.count >= 2 { md += comparison(results[0], results[1]) }
        md += """
            ## How to read this

            - *Certified radius*: the largest L-infinity radius at which the method **proved** that every
              input of the ball (clipped to the valid domain) keeps the label; it holds for the real-number
              function of the model's weights, BitBarrier's own floating-point error included.
            - *Attack radius*: the distance of the closest counterexample found and **replayed on the concrete
              model**; the true robust radius lies between the two. A missing attack radius means no
              counterexample was found up to the search limit, which proves nothing.
            - Robustness is strict: a tie between the label and another class counts as not robust.

            """
        return md
    }

    static func pct(_ v: Double) -> String { String(format: "%.1f%%", 100 * v) }
    static func num(_ v: Double) -> String { String(format: "%.5g", v) }

    static func section(_ r: CertificationResults, gate: GateCriteria?) -> String {
        let s = r.summary
        var md = "## \(r.model) (\(r.method))\n\n"
        md += "| | |\n|---|---|\n"
        md += "| model | `\(r.provenance.model)` (sha256 `\(r.provenance.modelSHA256?.prefix(16) ?? "?")…`) |\n"
        md += "| data | `\(r.provenance.data)` (sha256 `\(r.provenance.dataSHA256?.prefix(16) ?? "?")…`) |\n"
        md += "| method | \(r.method) \(r.provenance.options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")) |\n"
        md += "| tool, date, machine | \(r.provenance.tool), \(r.provenance.date), \(r.provenance.machine) |\n"
        md += "| inputs | \(s.inputs), clean accuracy \(pct(s.cleanAccuracy)) |\n"
        md += "| certified radius | median \(num(s.medianRadius)), mean \(num(s.meanRadius)) |\n"
        if let m = s.medianAttackRadius { md += "| attack radius | median \(num(m)) |\n" }
        md += "| wall time | \(String(format: "%.2f", s.wallTimeS)) s |\n\n"

        let keys = s.certifiedAccuracy.keys.sorted { Double($0)! < Double($1)! }
        if !keys.isEmpty {
            md += "### Certified accuracy\n\n| eps | certified | no attack found (upper bound) | unresolved |\n|---|---|---|---|\n"
            for k in keys {
                let c = s.certifiedAccuracy[k]!
                let a = s.attackAccuracy?[k]
                md += "| \(k) | \(pct(c)) | \(a.map(pct) ?? "–") | \(a.map { pct(max(0, $0 - c)) } ?? "–") |\n"
            }
            md += "\n"
        }
        let worst = r.samples.sorted { ($0.certifiedRadius, $0.index) < ($1.certifiedRadius, $1.index) }.prefix(10)
        md += "### Least robust inputs\n\n| input | label | predicted | certified radius | attack radius |\n|---|---|---|---|---|\n"
        for w in worst {
            md += "| \(w.index) | \(w.label) | \(w.predicted) | \(num(w.certifiedRadius)) | \(w.attackRadius.map(num) ?? "–") |\n"
        }
        md += "\n### Findings\n\n" + findings(r).map { "- \($0)\n" }.joined() + "\n"
        if let gate, !gate.isEmpty {
            let outcome = Gate.evaluate(r, gate)
            md += "### Gate: \(outcome.passed ? "PASSED" : "FAILED")\n\n"
            md += outcome.checks.map { "- \($0.passed ? "pass" : "FAIL"): \($0.detail)\n" }.joined() + "\n"
        }
        return md
    }

    /// Plain statements the numbers carry, nothing more.
    static func findings(_ r: CertificationResults) -> [String] {
        let s = r.summary
        var out: [String] = []
        let wrong = r.samples.filter { $0.predicted != $0.label }.count
        out.append("\(s.inputs - wrong) of \(s.inputs) inputs are classified correctly; misclassified inputs have radius 0.")
        out.append("Half of the inputs are proved robust up to radius \(num(s.medianRadius)) (\(r.method)).")
        if let m = s.medianAttackRadius, m > 0 {
            out.append("The median replayed counterexample lies at \(num(m)): the certificate reaches \(pct(s.medianRadius / m)) of it at the median.")
        }
        for (k, c) in s.certifiedAccuracy.sorted(by: { Double($0.key)! < Double($1.key)! }) {
            if let a = s.attackAccuracy?[k] {
                let gap = max(0, a - c)
                out.append("At eps \(k): \(pct(c)) proved robust, \(pct(1 - a)) shown not robust by a replayed counterexample"
                           + (gap > 0 ? ", \(pct(gap)) unresolved." : "; every input is resolved."))
            } else {
                out.append("At eps \(k): \(pct(c)) of the inputs are proved robust.")
            }
        }
        return out
    }

    static func comparison(_ a: CertificationResults, _ b: CertificationResults) -> String {
        let pairs = zip(a.samples, b.samples).filter { $0.index == $1.index }
        let gained = pairs.filter { $1.certifiedRadius > $0.certifiedRadius * (1 + 1e-9) }.count
        let lost = pairs.filter { $1.certifiedRadius < $0.certifiedRadius * (1 - 1e-9) }.count
        return """
            ## Comparison: \(a.model) (\(a.method)) vs \(b.model) (\(b.method))

            On \(pairs.count) common inputs, the second certifies a larger radius on \(gained), a smaller one on \(lost),
            and the same on \(pairs.count - gained - lost). Median certified radius \(num(a.summary.medianRadius)) vs \(num(b.summary.medianRadius)).


            """
    }
}
