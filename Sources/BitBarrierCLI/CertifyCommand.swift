import ArgumentParser
import BitBarrierCertify
import BitBarrierCore
import BitBarrierLP
import BitBarrierReport
import Foundation

/// `bitbarrier certify MODEL --data FILE`: certified radius per input, with an attack bracket.
struct CertifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certify",
        abstract: "Find, for each input, the largest L-infinity radius at which the label is proved to hold.",
        discussion: """
            The certified radius is the largest eps in [0, --max-radius] (to relative tolerance \
            --tolerance) at which the chosen method proves that every input of the ball keeps the \
            label strictly (a tie is not robust); it is always a radius that was actually verified. \
            Misclassified inputs get radius 0. With --attack, PGD searches for the smallest radius \
            with a counterexample, replayed on the concrete model: [certified, attack] brackets the \
            true robust radius.

            JSON (--json): {"model", "method", "samples": [{"index", "label", "predicted", \
            "certified_radius", "attack_radius", "verified": {"0.01": true, ...}, "time_s"}], \
            "summary": {"certified_accuracy": {"0.01": ...}, "median_radius", ...}}
            """
    )

    @OptionGroup var model: ModelArgument
    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var domainOptions: DomainOptions

    @Option(name: .long, help: "Method: ibp, crown, crown-ibp, lp (LP-tightened, GLPK, safe from the dual), or milp (exact: the radius is bracketed by the largest eps proved and the smallest eps with a replayed counterexample; ReLU branch and bound with safe bounds on FP32 ReLU nets, GLPK's MILP on int8 models).")
    var method: MethodChoice = .crown

    @OptionGroup var lpOptions: LPOptionGroup

    @Option(name: .long, help: "Radii to check, comma separated (e.g. 0.01,0.02,0.03).")
    var eps: String?

    @Flag(name: .long, help: "Also run PGD to bracket the radius from above.")
    var attack = false

    @Option(name: .long, help: "Largest radius searched.")
    var maxRadius: Double = 0.5

    @Option(name: .long, help: "Relative tolerance of the radius search.")
    var tolerance: Double = 1e-3

    @Option(name: .long, help: "Parallel workers (default: all cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .long, help: "Write the results as JSON to this file ('-' for stdout).")
    var json: String?

    @Option(name: .long, help: "Also write report.md, report.html and junit.xml into this folder.")
    var report: String?

    @Option(name: .long, help: "Also write a JUnit XML file (one case per input).")
    var junit: String?

    @OptionGroup(title: "Gate (exit code 1 when the model fails)") var gateOptions: GateOptions

    func validate() throws {
        guard maxRadius.isFinite, maxRadius > 0 else { throw ValidationError("--max-radius must be a positive number, got \(maxRadius)") }
        guard tolerance.isFinite, tolerance > 0, tolerance < 1 else { throw ValidationError("--tolerance must be in (0, 1), got \(tolerance)") }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
        if let eps { _ = try parseEpsilons(eps, option: "--eps") }
    }

    func run() throws {
        BLAS.useSingleThread()
        let network = try model.load()
        let dataset = try dataOptions.load(for: network)
        guard let labels = dataset.labels else {
            throw ValidationError("\(dataOptions.data): certify needs labels (a CSV with the label first, or --labels FILE.npy)")
        }
        let domain = try domainOptions.limits(for: dataset)
        let radii = try eps.map { try parseEpsilons($0, option: "--eps") } ?? []
        let runner = CertificationRunner(
            network: network, features: dataset.features, labels: labels, domain: domain,
            method: method, lpOptions: lpOptions.options, maxRadius: maxRadius, tolerance: tolerance,
            attack: attack, radii: radii, jobs: jobs)
        var options = ["max_radius": "\(maxRadius)", "tolerance": "\(tolerance)", "attack": "\(attack)", "domain": domainOptions.domain]
        if let s = dataOptions.pixelScale { options["pixel_scale"] = "\(s)" }
        if let l = dataOptions.limit { options["limit"] = "\(l)" }
        if method == .lp || method == .milp {
            options["lp_max_neurons"] = "\(lpOptions.lpMaxNeurons)"
            options["lp_time_limit"] = "\(lpOptions.lpTimeLimit)"
        }
        let report = runner.results(model: model.model, data: dataOptions.data, options: options, progressLabel: "certify")
        if method == .lp || method == .milp {
            let lp = LPStatistics.snapshot
            Console.error(String(format: "LP: %d simplex solves, %.1f s in the solver (%.0f per second)", lp.solves, lp.seconds,
                               lp.seconds > 0 ? Double(lp.solves) / lp.seconds : 0))
        }
        let gate = try gateOptions.criteria()
        if let json { try Console.writeJSON(report, to: json) }
        if let junit {
            do { try JUnitReport.render(report, gate: gate).write(toFile: junit, atomically: true, encoding: .utf8) } catch {
                throw ValidationError("cannot write \(junit): \(error.localizedDescription)")
            }
        }
        if let dir = self.report { try writeReports([report], gate: gate, to: dir) }
        if json != "-" { printTable(report) }
        let code = reportGate(report, gate)
        if code != 0 { throw ExitCode(code) }
    }

    func printTable(_ r: CertificationResults) {
        Console.out("model \(r.model), method \(r.method), \(r.samples.count) inputs")
        Console.out([pad("input", 6, right: true), pad("label", 6, right: true), pad("pred", 6, right: true),
                     pad("certified", 12, right: true), pad("attack", 12, right: true), "  time"].joined(separator: " "))
        for s in r.samples {
            let a = s.attackRadius.map { String(format: "%.5f", $0) } ?? "-"
            Console.out([pad(String(s.index), 6, right: true), pad(String(s.label), 6, right: true), pad(String(s.predicted), 6, right: true),
                         pad(String(format: "%.5f", s.certifiedRadius), 12, right: true), pad(a, 12, right: true),
                         String(format: "  %.2fs", s.timeS)].joined(separator: " "))
        }
        let sum = r.summary
        Console.out(String(format: "clean accuracy %.3f, median certified radius %.5f", sum.cleanAccuracy, sum.medianRadius))
        for k in sum.certifiedAccuracy.keys.sorted(by: { Double($0)! < Double($1)! }) {
            var line = String(format: "certified accuracy at eps %@: %.3f", k, sum.certifiedAccuracy[k]!)
            if let a = sum.attackAccuracy?[k] { line += String(format: "  (attack upper bound %.3f)", a) }
            Console.out(line)
        }
    }
}

