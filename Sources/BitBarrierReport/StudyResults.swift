import Foundation

/// The document `study` writes (kind "study"): several variants of one model (FP32, int8 by
/// post-training quantization, Lipschitz-regularised, quantization-aware) certified on the same
/// inputs, and the findings the numbers carry, in plain sentences.
public struct StudyResults: Codable, Sendable {
    /// Per quantized layer, averaged over the inputs: share of neurons fixed to one bin and
    /// mean width of their bounds in bins, at `absorbEps`.
    public struct LayerWidth: Codable, Sendable {
        public var name: String
        public var fixedFraction: Double
        public var meanWidthBins: Double
        public init(name: String, fixedFraction: Double, meanWidthBins: Double) {
            self.name = name
            self.fixedFraction = fixedFraction
            self.meanWidthBins = meanWidthBins
        }
        enum CodingKeys: String, CodingKey {
            case name
            case fixedFraction = "fixed_fraction", meanWidthBins = "mean_width_bins"
        }
    }

    public struct Variant: Codable, Sendable {
        public var name: String
        public var certification: CertificationResults
        /// Sound global L-infinity Lipschitz bound of the network (nil where it has none: rounding).
        public var lipschitzLInf: Double?
        /// Median over correctly classified inputs of the margin / Lipschitz radius.
        public var medianLipschitzRadius: Double?
        /// Per input, the input quantizer's barrier radius (int8 only; nil for FP32).
        public var barrierRadius: [Double?]?
        public var layers: [LayerWidth]?

        public init(name: String, certification: CertificationResults, lipschitzLInf: Double?, medianLipschitzRadius: Double?,
                    barrierRadius: [Double?]?, layers: [LayerWidth]?) {
            self.name = name
            self.certification = certification
            self.lipschitzLInf = lipschitzLInf
            self.medianLipschitzRadius = medianLipschitzRadius
            self.barrierRadius = barrierRadius
            self.layers = layers
        }

        public var medianBarrierRadius: Double? {
            guard let b = barrierRadius else { return nil }
            let finite = b.compactMap { $0 }.filter(\.isFinite).sorted()
            return finite.isEmpty ? nil : CertificationResults.median(finite)
        }

        enum CodingKeys: String, CodingKey {
            case name, certification, layers
            case lipschitzLInf = "lipschitz_linf", medianLipschitzRadius = "median_lipschitz_radius", barrierRadius = "barrier_radius"
        }
    }

    /// Two variants on the same inputs: how many inputs gained or lost certified radius.
    public struct Pair: Codable, Sendable {
        public var baseline: String
        public var variant: String
        public var gained: Int
        public var lost: Int
        public var same: Int
        public var radiusRatio: Double?
        enum CodingKeys: String, CodingKey {
            case baseline, variant, gained, lost, same
            case radiusRatio = "median_radius_ratio"
        }
    }

    public var schemaVersion = 1
    public var kind = "study"
    public var data: String
    public var method: String
    public var absorbEps: Double
    public var variants: [Variant]
    public var pairs: [Pair]
    public var findings: [String]

    enum CodingKeys: String, CodingKey {
        case kind, data, method, variants, pairs, findings
        case schemaVersion = "schema_version", absorbEps = "absorb_eps"
    }

    /// Relative differences below this are reported as "no measurable difference".
    public static let negligible = 0.05

    public init(data: String, method: String, absorbEps: Double, variants: [Variant], pairs requested: [(String, String)]) {
        self.data = data
        self.method = method
        self.absorbEps = absorbEps
        self.variants = variants
        let byName = Dictionary(variants.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        pairs = requested.compactMap { a, b in
            guard let x = byName[a], let y = byName[b] else { return nil }
            return Self.pair(x, y)
        }
        findings = []
        findings = computeFindings()
    }

    static func pair(_ a: Variant, _ b: Variant) -> Pair {
        let both = zip(a.certification.samples, b.certification.samples)
        let gained = both.filter { $1.certifiedRadius > $0.certifiedRadius * (1 + 1e-3) }.count
        let lost = both.filter { $1.certifiedRadius < $0.certifiedRadius * (1 - 1e-3) }.count
        let ma = a.certification.summary.medianRadius, mb = b.certification.summary.medianRadius
        return Pair(baseline: a.name, variant: b.name, gained: gained, lost: lost,
                    same: a.certification.samples.count - gained - lost, radiusRatio: ma > 0 ? mb / ma : nil)
    }

    static func g(_ x: Double) -> String { String(format: "%.4g", x) }

    /// One sentence per pair and per int8 variant, each carrying its numbers. A difference is
    /// called one only beyond `negligible` relative and with the per-input counts agreeing.
    func computeFindings() -> [String] {
        var out: [String] = []
        let byName = Dictionary(variants.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for p in pairs {
            guard let a = byName[p.baseline], let b = byName[p.variant] else { continue }
            let sa = a.certification.summary, sb = b.certification.summary
            var s = "\(b.name) vs \(a.name): median certified radius \(Self.g(sb.medianRadius)) vs \(Self.g(sa.medianRadius))"
            if let r = p.radiusRatio { s += String(format: " (x%.2f)", r) }
            s += "; \(p.gained) inputs gained radius, \(p.lost) lost, \(p.same) unchanged (of \(p.gained + p.lost + p.same))"
            if let r = p.radiusRatio, abs(r - 1) > Self.negligible {
                let lessRobust = r < 1 && p.lost > p.gained
                let moreRobust = r > 1 && p.gained > p.lost
                if lessRobust { s += ". By certificate, \(b.name) is less robust than \(a.name) on these inputs" }
                else if moreRobust { s += ". By certificate, \(b.name) is more robust than \(a.name) on these inputs" }
                else { s += ". The median and the per-input counts disagree: no conclusion" }
            } else {
                s += ". No measurable difference in certified radius (within \(Int(Self.negligible * 100))%)"
            }
            if let ta = sa.medianAttackRadius, let tb = sb.medianAttackRadius {
                s += "; attack radius (upper bound) \(Self.g(tb)) vs \(Self.g(ta))"
                // The true median radius lies in [certified, attack] for each: if those brackets
                // overlap, the certificates alone do not show that the models differ.
                let overlap = max(sa.medianRadius, sb.medianRadius) <= min(ta, tb)
                s += overlap
                    ? " (the brackets [\(Self.g(sb.medianRadius)), \(Self.g(tb))] and [\(Self.g(sa.medianRadius)), \(Self.g(ta))] overlap: the true radii may not differ, the gap may be the bounds' looseness)"
                    : " (the brackets [\(Self.g(sb.medianRadius)), \(Self.g(tb))] and [\(Self.g(sa.medianRadius)), \(Self.g(ta))] are disjoint: the difference is real)"
            }
            s += String(format: "; clean accuracy %.3f vs %.3f.", sb.cleanAccuracy, sa.cleanAccuracy)
            out.append(s)
            if let la = a.lipschitzLInf, let lb = b.lipschitzLInf {
                out.append("\(b.name) vs \(a.name): global L-infinity Lipschitz bound \(Self.g(lb)) vs \(Self.g(la))"
                           + (lb < la ? " (the penalty lowered it x\(String(format: "%.2g", la / lb)))" : " (not lower)")
                           + ((a.medianLipschitzRadius ?? 0) > 0 || (b.medianLipschitzRadius ?? 0) > 0
                              ? "; median margin/Lipschitz radius \(Self.g(b.medianLipschitzRadius ?? 0)) vs \(Self.g(a.medianLipschitzRadius ?? 0))." : "."))
            }
        }
        for v in variants {
            guard let barrier = v.medianBarrierRadius else { continue }
            let radius = v.certification.summary.medianRadius
            var s = "\(v.name): the input quantizer absorbs every perturbation only up to the barrier radius (median \(Self.g(barrier)))"
            if radius > 0 {
                s += barrier >= radius
                    ? "; that is at least the median certified radius \(Self.g(radius)): rounding alone explains the certificates"
                    : "; the median certified radius \(Self.g(radius)) is x\(String(format: "%.3g", radius / max(barrier, 1e-300))) larger: beyond the barrier, robustness comes from the network, not from rounding"
            }
            if let layers = v.layers, layers.count >= 2, let first = layers.first, let last = layers.last {
                let trend = last.meanWidthBins > first.meanWidthBins * (1 + Self.negligible) ? "grows (amplification)"
                    : last.meanWidthBins < first.meanWidthBins * (1 - Self.negligible) ? "shrinks (absorption)" : "stays level"
                s += String(format: "; at eps %@ the bound width in bins %@ from %@ (%.2f bins, %.0f%% fixed) to %@ (%.2f bins, %.0f%% fixed)",
                            Self.g(absorbEps), trend, first.name, first.meanWidthBins, 100 * first.fixedFraction,
                            last.name, last.meanWidthBins, 100 * last.fixedFraction)
            }
            out.append(s + ".")
        }
        return out
    }

    /// The Markdown summary: one table, then the findings.
    public func markdown() -> String {
        let epsKeys = Set(variants.flatMap { $0.certification.summary.certifiedAccuracy.keys }).sorted { Double($0)! < Double($1)! }
        var md = "# Robustness study: \(variants.map(\.name).joined(separator: ", "))\n\n"
        md += "Data `\(data)`, \(variants.first?.certification.samples.count ?? 0) inputs, method `\(method)`. "
        md += "Certified radii are proved (sound bounds); attack radii are replayed counterexamples (upper bounds on the true radius). "
        md += "Barrier radius: below it the int8 input quantizer maps the whole ball to one quantized input.\n\n"
        md += "| variant | clean acc. | " + epsKeys.map { "cert. acc. @\($0)" }.joined(separator: " | ")
        md += " | median cert. radius | median attack radius | median barrier radius | L∞ Lipschitz bound |\n"
        md += "|---|---|" + epsKeys.map { _ in "---|" }.joined() + "---|---|---|---|\n"
        for v in variants {
            let s = v.certification.summary
            md += "| \(v.name) | \(String(format: "%.3f", s.cleanAccuracy)) | "
            md += epsKeys.map { String(format: "%.3f", s.certifiedAccuracy[$0] ?? 0) }.joined(separator: " | ")
            md += " | \(Self.g(s.medianRadius)) | \(s.medianAttackRadius.map(Self.g) ?? "–") | \(v.medianBarrierRadius.map(Self.g) ?? "–") | \(v.lipschitzLInf.map(Self.g) ?? "–") |\n"
        }
        let withLayers = variants.filter { !($0.layers ?? []).isEmpty }
        if !withLayers.isEmpty {
            md += "\n## Quantized layers at eps \(Self.g(absorbEps))\n\nMean bound width in bins (share of neurons fixed to one bin), layer by layer.\n\n"
            for v in withLayers {
                md += "- \(v.name): " + v.layers!.map { String(format: "%@ %.2f (%.0f%%)", $0.name, $0.meanWidthBins, 100 * $0.fixedFraction) }.joined(separator: " → ") + "\n"
            }
        }
        md += "\n## Findings\n\n" + findings.map { "- \($0)\n" }.joined()
        return md
    }
}
