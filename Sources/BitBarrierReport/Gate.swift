/// Thresholds a model must meet to pass (CI gating).
public struct GateCriteria: Sendable {
    /// Every input's certified radius must be at least this (misclassified inputs have 0).
    public var minRadius: Double?
    /// The fraction of inputs certified at `atEps` must be at least this.
    public var minCertifiedAccuracy: Double?
    public var atEps: Double?
    /// The median certified radius must not fall more than `maxRegression` (a fraction, 0.1 =
    /// 10%) below the baseline's.
    public var baseline: CertificationResults?
    public var maxRegression: Double?

    public init(minRadius: Double? = nil, minCertifiedAccuracy: Double? = nil, atEps: Double? = nil,
                baseline: CertificationResults? = nil, maxRegression: Double? = nil) {
        self.minRadius = minRadius
        self.minCertifiedAccuracy = minCertifiedAccuracy
        self.atEps = atEps
        self.baseline = baseline
        self.maxRegression = maxRegression
    }

    public var isEmpty: Bool { minRadius == nil && minCertifiedAccuracy == nil && baseline == nil }
}

/// The outcome of a gate: pass or fail, with every reason in plain words.
public struct GateOutcome: Sendable {
    /// One checked criterion.
    public struct Check: Sendable {
        public var name: String
        public var passed: Bool
        public var detail: String
    }

    public var checks: [Check]
    /// Per input index, why it fails the per-input criterion (nil when it passes or there is none).
    public var inputFailures: [Int: String]

    public var passed: Bool { checks.allSatisfy(\.passed) }
    public var reasons: [String] { checks.filter { !$0.passed }.map(\.detail) }
}

public enum Gate {
    /// The fraction of inputs certified at eps: the recorded verdict when eps was listed, else
    /// certified radius >= eps (a verified radius covers every smaller ball).
    public static func certifiedAccuracy(_ r: CertificationResults, at eps: Double) -> Double {
        let key = CertificationResults.key(eps)
        let n = Double(max(r.samples.count, 1))
        return Double(r.samples.filter { s in s.verified[key] ?? (s.predicted == s.label && s.certifiedRadius >= eps) }.count) / n
    }

    public static func evaluate(_ r: CertificationResults, _ c: GateCriteria) -> GateOutcome {
        var checks: [GateOutcome.Check] = []
        var failures: [Int: String] = [:]
        if let minRadius = c.minRadius {
            for s in r.samples {
                if s.predicted != s.label {
                    failures[s.index] = "misclassified (label \(s.label), predicted \(s.predicted))"
                } else if s.certifiedRadius < minRadius {
                    failures[s.index] = "certified radius \(fmt(s.certifiedRadius)) < \(fmt(minRadius))"
                }
            }
            let worst = r.samples.filter { failures[$0.index] != nil }.min { $0.certifiedRadius < $1.certifiedRadius }
            let detail = failures.isEmpty
                ? "every input is certified at radius \(fmt(minRadius)) or more"
                : "\(failures.count) of \(r.samples.count) inputs are below the minimum radius \(fmt(minRadius))"
                    + (worst.map { " (worst: input \($0.index), radius \(fmt($0.certifiedRadius)))" } ?? "")
            checks.append(.init(name: "min-radius \(fmt(minRadius))", passed: failures.isEmpty, detail: detail))
        }
        if let minAcc = c.minCertifiedAccuracy {
            let eps = c.atEps ?? 0
            let acc = certifiedAccuracy(r, at: eps)
            checks.append(.init(
                name: "certified accuracy at eps \(fmt(eps)) >= \(fmt(minAcc))", passed: acc >= minAcc,
                detail: "certified accuracy at eps \(fmt(eps)) is \(fmt(acc)) (minimum \(fmt(minAcc)))"))
        }
        if let base = c.baseline {
            let allowed = c.maxRegression ?? 0
            let floor = base.summary.medianRadius * (1 - allowed)
            let now = r.summary.medianRadius
            checks.append(.init(
                name: "median radius regression <= \(fmt(allowed * 100))%", passed: now >= floor,
                detail: "median certified radius \(fmt(now)) vs baseline \(fmt(base.summary.medianRadius)) (floor \(fmt(floor)) at \(fmt(allowed * 100))% regression)"))
        }
        return GateOutcome(checks: checks, inputFailures: failures)
    }

    static func fmt(_ v: Double) -> String { String(format: "%.6g", v) }
}
