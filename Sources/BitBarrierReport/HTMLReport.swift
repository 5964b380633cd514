import Foundation

/// `report.html`: one self-contained file (inline SVG and CSS, one inline script to sort the table).
public enum HTMLReport {
    public static func render(_ results: [CertificationResults], absorption: [AbsorptionResults] = [], gate: GateCriteria? = nil) -> String {
        var h = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>BitBarrier robustness report</title>
            <style>
            body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1180px;color:#222;padding:0 1em}
            h1{margin-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
            .plots{display:flex;flex-wrap:wrap;gap:18px} figure{margin:0} figcaption{font-size:13px;color:#555;max-width:560px}
            table{border-collapse:collapse;font-size:13px;margin:.5em 0} th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}
            th{background:#f4f4f4;cursor:pointer} td:first-child,th:first-child{text-align:left}
            .pass{color:#1a7f37;font-weight:bold} .fail{color:#cf222e;font-weight:bold} .meta td{text-align:left}
            .note{font-size:13px;color:#555}
            </style></head><body>
            <h1>BitBarrier robustness report</h1>
            <p class="note">Certified radius: proved for every input of the ball (real-number semantics of the weights, BitBarrier's own rounding error included). Attack radius: closest counterexample replayed on the concrete model. The true robust radius lies between them. Ties count as not robust.</p>

            """
        for (i, r) in results.enumerated() { h += section(r, id: i, gate: gate) }
        if results.count >= 2 {
            let a = results[0], b = results[1]
            let pts = zip(a.samples, b.samples).filter { $0.index == $1.index }.map { ($0.certifiedRadius, $1.certifiedRadius) }
            h += "<h2>Comparison</h2><div class=\"plots\"><figure>"
            h += SVG.scatter(pts, xLabel: "certified radius: \(a.model) (\(a.method))", yLabel: "certified radius: second", title: "radius scatter")
            h += "<figcaption>Certified radius of each input under the first results (x) and the second (y): above the dashed line the second certifies more. For an FP32 model and its int8 version this is the FP32 vs int8 scatter.</figcaption></figure></div>"
        }
        if absorption.isEmpty {
            h += "<p class=\"note\">Per-layer absorption bars and the per-pixel absorption heatmap appear when the results of <code>bitbarrier absorb</code> (int8 models) are given; these results have none.</p>"
        }
        for a in absorption { h += absorptionSection(a) }
        h += """
            <script>
            document.querySelectorAll('table.sortable th').forEach(function(th){th.addEventListener('click',function(){
              var t=th.closest('table'),b=t.tBodies[0],i=Array.prototype.indexOf.call(th.parentNode.children,th),asc=th.dataset.asc!=='1';
              Array.from(b.rows).sort(function(x,y){var p=parseFloat(x.cells[i].textContent),q=parseFloat(y.cells[i].textContent);
                if(isNaN(p))p=Infinity;if(isNaN(q))q=Infinity;return asc?p-q:q-p;}).forEach(function(r){b.appendChild(r);});
              th.dataset.asc=asc?'1':'0';});});
            </script></body></html>

            """
        return h
    }

    static func absorptionSection(_ a: AbsorptionResults) -> String {
        let e = SVG.escape
        var h = "<h2>Absorption: \(e(a.model)) at eps \(a.eps)</h2>"
        let barriers = a.samples.compactMap(\.barrierRadius).sorted()
        let full = a.samples.filter { ($0.barrierRadius ?? .infinity) > a.eps }.count
        h += "<p>\(full) of \(a.samples.count) inputs are fully absorbed by the input quantizer at eps \(a.eps) (output provably unchanged)."
        if !barriers.isEmpty {
            h += " Barrier radius: min \(MarkdownReport.num(barriers.first!)), median \(MarkdownReport.num(barriers[barriers.count / 2])), max \(MarkdownReport.num(barriers.last!))."
        }
        h += "</p><div class=\"plots\"><figure>" + SVG.absorptionBars(a.layerSummary, title: "per-layer absorption")
        h += "<figcaption>Per quantized layer, averaged over the inputs: the share of neurons whose sound bounds stay in one bin over the ball, and the mean width of the rest in bins. Shrinking blue and growing width from layer to layer is the error amplification.</figcaption></figure>"
        let fractions = a.coordinateFractions
        let dims = a.inputShape.filter { $0 > 1 }
        if dims.count >= 2, let w = dims.last, let hgt = dims.dropLast().last, w * hgt == fractions.count {
            h += "<figure>" + SVG.heatmap(fractions, rows: hgt, columns: w, title: "per-pixel absorption")
            h += "<figcaption>Per pixel: the fraction of inputs whose value stays in its quantization bin over [x - eps, x + eps].</figcaption></figure>"
        }
        return h + "</div>"
    }

    static func section(_ r: CertificationResults, id: Int, gate: GateCriteria?) -> String {
        let s = r.summary
        let e = SVG.escape
        var h = "<h2>\(e(r.model)) <small>(\(e(r.method)))</small></h2>"
        h += "<table class=\"meta\"><tr><td>model</td><td><code>\(e(r.provenance.model))</code> sha256 <code>\(e(r.provenance.modelSHA256 ?? "?"))</code></td></tr>"
        h += "<tr><td>data</td><td><code>\(e(r.provenance.data))</code> sha256 <code>\(e(r.provenance.dataSHA256 ?? "?"))</code></td></tr>"
        h += "<tr><td>method</td><td>\(e(r.method)) \(e(r.provenance.options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")))</td></tr>"
        h += "<tr><td>tool / date / machine</td><td>\(e(r.provenance.tool)) / \(e(r.provenance.date)) / \(e(r.provenance.machine))</td></tr>"
        h += "<tr><td>summary</td><td>\(s.inputs) inputs, clean accuracy \(MarkdownReport.pct(s.cleanAccuracy)), median certified radius \(MarkdownReport.num(s.medianRadius))"
        h += (s.medianAttackRadius.map { ", median attack radius \(MarkdownReport.num($0))" } ?? "") + ", wall time \(String(format: "%.2f", s.wallTimeS)) s</td></tr></table>"
        if let gate, !gate.isEmpty {
            let o = Gate.evaluate(r, gate)
            h += "<p>Gate: <span class=\"\(o.passed ? "pass" : "fail")\">\(o.passed ? "PASSED" : "FAILED")</span></p><ul>"
            h += o.checks.map { "<li class=\"\($0.passed ? "pass" : "fail")\">\(e($0.detail))</li>" }.joined() + "</ul>"
        }
        h += "<ul>" + MarkdownReport.findings(r).map { "<li>\(e($0))</li>" }.joined() + "</ul>"
        h += "<div class=\"plots\"><figure>" + SVG.accuracyCurves(Curves(r), title: "certified accuracy vs eps")
        h += "<figcaption>Fraction of inputs proved robust at each radius (solid) and fraction with no counterexample found (dashed, an upper bound). The gap between them is unresolved.</figcaption></figure>"
        h += "<figure>" + SVG.histogram(r.samples.map(\.certifiedRadius), title: "certified radius histogram")
        h += "<figcaption>Distribution of certified radii (misclassified inputs at 0).</figcaption></figure></div>"
        h += "<table class=\"sortable\" id=\"inputs\(id)\"><thead><tr><th>input</th><th>label</th><th>predicted</th><th>certified radius</th><th>attack radius</th><th>time (s)</th></tr></thead><tbody>"
        for x in r.samples {
            h += "<tr><td>\(x.index)</td><td>\(x.label)</td><td>\(x.predicted)</td><td>\(MarkdownReport.num(x.certifiedRadius))</td>"
            h += "<td>\(x.attackRadius.map(MarkdownReport.num) ?? "–")</td><td>\(String(format: "%.3f", x.timeS))</td></tr>"
        }
        return h + "</tbody></table>"
    }
}
