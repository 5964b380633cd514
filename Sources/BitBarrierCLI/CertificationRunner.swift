import BitBarrierCertify
import BitBarrierCore
import BitBarrierLP
import BitBarrierReport
import Foundation

/// Certifies every input of a data set in parallel (inputs are independent): certified radius,
/// verdict per listed eps, and optionally the attack bracket. Shared by `certify` and `compare`.
struct CertificationRunner {
    let network: Network
    let features: [[Float]]
    let labels: [Int]
    let domain: (lower: [Double], upper: [Double])?
    let method: MethodChoice
    let lpOptions: LPOptions
    let maxRadius: Double
    let tolerance: Double
    let attack: Bool
    let radii: [Double]
    let jobs: Int

    /// Runs the certification and records it with its provenance (the model and data files,
    /// hashed, and the options that shaped the run).
    func results(model: String, data: String, options: [String: String], progressLabel: String) -> CertificationResults {
        let started = Date()
        let samples = run(progressLabel: progressLabel)
        let provenance = CertificationResults.Provenance(model: model, data: data, tool: "bitbarrier \(BitBarrierVersion.string)", options: options)
        return CertificationResults(method: method.rawValue, provenance: provenance, samples: samples, radii: radii,
                                    wallTimeS: Date().timeIntervalSince(started), attack: attack)
    }

    func run(progressLabel: String) -> [CertificationResults.Sample] {
        let certifier = Certifier(network: network, method: method.certification(lpOptions))
        let milp = method == .milp ? MILPVerifier(network: network, options: lpOptions) : nil
        let pgd = PGDAttack()
        let lipschitz = LipschitzBounds(network: network)
        let count = features.count
        let progress = Progress(total: count, label: progressLabel)
        let results = ConcurrentResults<CertificationResults.Sample>(count: count)
        let jobs = max(1, min(self.jobs, count))
        DispatchQueue.concurrentPerform(iterations: jobs) { worker in
            var i = worker
            while i < count {
                let t0 = Date()
                let query = RobustnessQuery(network: network, center: features[i], label: labels[i],
                                            domainLower: domain?.lower, domainUpper: domain?.upper)
                let predicted = argmax(network.evaluate(query.center))
                var radius: Double
                var exactFalsified: Double? = nil
                if let milp {
                    let bracket = milp.radiusBracket(query, maximum: maxRadius, tolerance: tolerance)
                    radius = bracket.proved
                    exactFalsified = bracket.falsified?.distance
                } else {
                    // The Lipschitz radius is a sound, cheap starting point for the search.
                    let hint = min(lipschitz.certifiedRadius(center: query.center, label: query.label), maxRadius)
                    radius = certifier.certifiedRadius(query, maximum: maxRadius, tolerance: tolerance, startingAt: hint)
                }
                var verified: [String: Bool] = [:]
                for e in radii {
                    // A verified radius covers every smaller ball; above it, only its own proof counts.
                    verified[CertificationResults.key(e)] = radius > 0 && (e <= radius || certifier.verify(query, epsilon: e).isVerified)
                }
                var attackRadius: Double? = exactFalsified
                if attack, let ce = pgd.attackRadius(query, lower: radius, maximum: maxRadius) {
                    attackRadius = min(ce.distance, attackRadius ?? .infinity)
                }
                results.set(i, CertificationResults.Sample(
                    index: i, label: labels[i], predicted: predicted, certifiedRadius: radius,
                    attackRadius: attackRadius, verified: verified, timeS: Date().timeIntervalSince(t0)))
                progress.step()
                i += jobs
            }
        }
        return results.values.map { $0! }
    }
}

/// Results written by workers, read after they finish.
final class ConcurrentResults<T>: @unchecked Sendable {
    private var storage: [T?]
    private let lock = NSLock()
    init(count: Int) { storage = [T?](repeating: nil, count: count) }
    func set(_ i: Int, _ v: T) { lock.lock(); storage[i] = v; lock.unlock() }
    var values: [T?] { lock.lock(); defer { lock.unlock() }; return storage }
}
