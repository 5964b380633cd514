import ArgumentParser
import BitBarrierCertify
import BitBarrierCore
import BitBarrierImport
import BitBarrierLP
import BitBarrierReport
import Foundation

/// `bitbarrier compare FP32_MODEL INT8_MODEL --data FILE`: the same inputs, both models.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Certify an FP32 model and its int8 version on the same inputs, side by side.",
        discussion: """
            Reports accuracy, certified radius and attack radius of both, the int8 model's barrier radius \
            (where its input quantizer alone absorbs every perturbation), and how many inputs gained or lost \
            certified radius through quantization. --report DIR writes the audit report with the FP32 vs \
            int8 radius scatter.
            """
    )

    @Argument(help: "The FP32 model.") var fp32: String
    @Argument(help: "The int8 model (QDQ).") var int8: String
    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var domainOptions: DomainOptions

    @Option(name: .long, help: "Method: ibp, crown, crown-ibp, lp or milp (FP32 only for milp).")
    var method: MethodChoice = .crown
    @OptionGroup var lpOptions: LPOptionGroup

    @Option(name: .long, help: "Radii to check, comma separated.") var eps: String?
    @Flag(name: .long, help: "Also run PGD on both models.") var attack = false
    @Option(name: .long, help: "Largest radius searched.") var maxRadius: Double = 0.5
    @Option(name: .long, help: "Relative tolerance of the radius search.") var tolerance: Double = 1e-3
    @Option(name: .long, help: "Parallel workers (default: all cores).") var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: .long, help: "Write the comparison as JSON ('-' for stdout).") var json: String?
    @Option(name: .long, help: "Write report.md, report.html (with the FP32 vs int8 scatter) and junit.xml here.") var report: String?

    func validate() throws {
        guard maxRadius.isFinite, maxRadius > 0 else { throw ValidationError("--max-radius must be a positive number, got \(maxRadius)") }
        guard tolerance.isFinite, tolerance > 0, tolerance < 1 else { throw ValidationError("--tolerance must be in (0, 1), got \(tolerance)") }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
        if let eps { _ = try parseEpsilons(eps, option: "--eps") }
    }

    struct Summary: Encodable {
        var inputs: Int
        var fp32Accuracy, int8Accuracy, fp32MedianRadius, int8MedianRadius: Double
        var int8Gained, int8Lost, same: Int
        var medianBarrierRadius: Double?
        var agreement: Double
        enum CodingKeys: String, CodingKey {
            case inputs, same, agreement
            case fp32Accuracy = "fp32_accuracy", int8Accuracy = "int8_accuracy", fp32MedianRadius = "fp32_median_radius"
            case int8MedianRadius = "int8_median_radius", int8Gained = "int8_gained", int8Lost = "int8_lost"
            case medianBarrierRadius = "median_barrier_radius"
        }
    }

    struct Result: Encodable {
        var schemaVersion = 1
        var kind = "compare"
        var fp32: CertificationResults
        var int8: CertificationResults
        var barrierRadius: [Double?]
        var summary: Summary
        enum CodingKeys: String, CodingKey {
            case kind, fp32, int8, summary
            case schemaVersion = "schema_version", barrierRadius = "barrier_radius"
        }
    }

    func run() throws {
        BLAS.useSingleThread()
        let a = try ModelLoader.loadForCLI(fp32), b = try ModelLoader.loadForCLI(int8)
        guard a.inputSize == b.inputSize, a.outputSize == b.outputSize else {
            throw ValidationError("the models differ in shape: \(a.inputSize) -> \(a.outputSize) vs \(b.inputSize) -> \(b.outputSize)")
        }
        let dataset = try dataOptions.load(for: a)
        guard let labels = dataset.labels else { throw ValidationError("\(dataOptions.data): compare needs labels") }
        let domain = try domainOptions.limits(for: dataset)
        let radii = try eps.map { try parseEpsilons($0, option: "--eps") } ?? []
        func certify(_ net: Network, _ path: String, _ label: String) -> CertificationResults {
            CertificationRunner(network: net, features: dataset.features, labels: labels, domain: domain, method: method,
                                lpOptions: lpOptions.options, maxRadius: maxRadius, tolerance: tolerance,
                                attack: attack, radii: radii, jobs: jobs)
                .results(model: path, data: dataOptions.data,
                         options: ["max_radius": "\(maxRadius)", "tolerance": "\(tolerance)", "attack": "\(attack)"], progressLabel: label)
        }
        let ra = certify(a, fp32, "fp32"), rb = certify(b, int8, "int8")
        let absorption = AbsorptionAnalysis(network: b)
        let barrier: [Double?] = dataset.features.map { x in
            absorption.barrierRadius(x, domainLower: domain?.lower, domainUpper: domain?.upper)
        }
        let pairs = zip(ra.samples, rb.samples)
        let gained = pairs.filter { $1.certifiedRadius > $0.certifiedRadius }.count
        let lost = pairs.filter { $1.certifiedRadius < $0.certifiedRadius }.count
        let finiteBarriers = barrier.compactMap { $0 }.sorted()
        let agreement = Double(pairs.filter { $0.predicted == $1.predicted }.count) / Double(max(labels.count, 1))
        let summary = Summary(
            inputs: labels.count, fp32Accuracy: ra.summary.cleanAccuracy, int8Accuracy: rb.summary.cleanAccuracy,
            fp32MedianRadius: ra.summary.medianRadius, int8MedianRadius: rb.summary.medianRadius,
            int8Gained: gained, int8Lost: lost, same: labels.count - gained - lost,
            medianBarrierRadius: finiteBarriers.isEmpty ? nil : CertificationResults.median(finiteBarriers), agreement: agreement)
        let result = Result(fp32: ra, int8: rb, barrierRadius: barrier, summary: summary)
        if let json { try Console.writeJSON(result, to: json) }
        if let report { try writeReports([ra, rb], gate: GateCriteria(), to: report) }
        if json == "-" { return }
        Console.out("\(labels.count) inputs, method \(method.rawValue)")
        Console.out(String(format: "accuracy        fp32 %.3f   int8 %.3f   (same prediction on %.1f%%)", summary.fp32Accuracy, summary.int8Accuracy, 100 * agreement))
        Console.out(String(format: "median radius   fp32 %.5f int8 %.5f", summary.fp32MedianRadius, summary.int8MedianRadius))
        Console.out("int8 certifies more on \(gained), less on \(lost), the same on \(summary.same) inputs")
        if let m = summary.medianBarrierRadius { Console.out(String(format: "median barrier radius of the int8 input quantizer %.3g", m)) }
        for k in ra.summary.certifiedAccuracy.keys.sorted(by: { Double($0)! < Double($1)! }) {
            Console.out(String(format: "certified accuracy at eps %@: fp32 %.3f int8 %.3f", k, ra.summary.certifiedAccuracy[k]!, rb.summary.certifiedAccuracy[k] ?? 0))
        }
    }
}
