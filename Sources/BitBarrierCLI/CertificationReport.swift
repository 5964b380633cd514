import Foundation

/// The JSON `certify` writes (keys in snake_case, sorted on output).
struct CertificationReport: Encodable {
    struct Sample: Encodable {
        var index: Int
        var label: Int
        var predicted: Int
        var certifiedRadius: Double
        var attackRadius: Double?
        var verified: [String: Bool]
        var timeS: Double

        enum CodingKeys: String, CodingKey {
            case index, label, predicted, verified
            case certifiedRadius = "certified_radius", attackRadius = "attack_radius", timeS = "time_s"
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encode(label, forKey: .label)
            try c.encode(predicted, forKey: .predicted)
            try c.encode(certifiedRadius, forKey: .certifiedRadius)
            try c.encode(attackRadius, forKey: .attackRadius)  // null without --attack
            try c.encode(verified, forKey: .verified)
            try c.encode(timeS, forKey: .timeS)
        }
    }

    struct Summary: Encodable {
        var inputs: Int
        var cleanAccuracy: Double
        var certifiedAccuracy: [String: Double]
        var attackAccuracy: [String: Double]?
        var medianRadius: Double
        var meanRadius: Double
        var medianAttackRadius: Double?
        var wallTimeS: Double
        enum CodingKeys: String, CodingKey {
            case inputs
            case cleanAccuracy = "clean_accuracy", certifiedAccuracy = "certified_accuracy", attackAccuracy = "attack_accuracy"
            case medianRadius = "median_radius", meanRadius = "mean_radius", medianAttackRadius = "median_attack_radius"
            case wallTimeS = "wall_time_s"
        }
    }

    var model: String
    var method: String
    var tool: String = "bitbarrier \(BitBarrierVersion.string)"
    var samples: [Sample]
    var summary: Summary

    /// The JSON key of a radius: its shortest decimal form ("0.01").
    static func key(_ eps: Double) -> String { "\(eps)" }

    init(model: String, method: String, samples: [Sample], radii: [Double], wallTimeS: Double, attack: Bool) {
        self.model = model
        self.method = method
        self.samples = samples
        let n = Double(max(samples.count, 1))
        var certified: [String: Double] = [:]
        var attacked: [String: Double] = [:]
        for e in radii {
            let k = Self.key(e)
            certified[k] = Double(samples.filter { $0.verified[k] == true }.count) / n
            // Inputs with no counterexample found at or below e (an upper bound on robust accuracy).
            attacked[k] = Double(samples.filter { $0.predicted == $0.label && ($0.attackRadius.map { $0 > e } ?? true) }.count) / n
        }
        let radiiSorted = samples.map(\.certifiedRadius).sorted()
        let attackSorted = samples.compactMap(\.attackRadius).sorted()
        summary = Summary(
            inputs: samples.count,
            cleanAccuracy: Double(samples.filter { $0.predicted == $0.label }.count) / n,
            certifiedAccuracy: certified,
            attackAccuracy: attack ? attacked : nil,
            medianRadius: Self.median(radiiSorted),
            meanRadius: radiiSorted.reduce(0, +) / n,
            medianAttackRadius: attack && attackSorted.count == samples.count ? Self.median(attackSorted) : nil,
            wallTimeS: wallTimeS)
    }

    static func median(_ sorted: [Double]) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let m = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[m] : 0.5 * (sorted[m - 1] + sorted[m])
    }

    func printTable() {
        Console.out("model \(model), method \(method), \(samples.count) inputs")
        Console.out([pad("input", 6, right: true), pad("label", 6, right: true), pad("pred", 6, right: true),
                     pad("certified", 12, right: true), pad("attack", 12, right: true), "  time"].joined(separator: " "))
        for s in samples {
            let a = s.attackRadius.map { String(format: "%.5f", $0) } ?? "-"
            Console.out([pad(String(s.index), 6, right: true), pad(String(s.label), 6, right: true), pad(String(s.predicted), 6, right: true),
                         pad(String(format: "%.5f", s.certifiedRadius), 12, right: true), pad(a, 12, right: true),
                         String(format: "  %.2fs", s.timeS)].joined(separator: " "))
        }
        Console.out(String(format: "clean accuracy %.3f, median certified radius %.5f", summary.cleanAccuracy, summary.medianRadius))
        for k in summary.certifiedAccuracy.keys.sorted(by: { Double($0)! < Double($1)! }) {
            var line = String(format: "certified accuracy at eps %@: %.3f", k, summary.certifiedAccuracy[k]!)
            if let a = summary.attackAccuracy?[k] { line += String(format: "  (attack upper bound %.3f)", a) }
            Console.out(line)
        }
    }
}
