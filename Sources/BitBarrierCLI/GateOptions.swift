import ArgumentParser
import BitBarrierReport
import Foundation

/// Gate thresholds shared by `gate`, `report` and `certify`.
struct GateOptions: ParsableArguments {
    @Option(name: .long, help: "Fail unless every input is certified at this radius or more (misclassified inputs fail).")
    var minRadius: Double?

    @Option(name: .long, help: "Fail unless this fraction of the inputs is certified at --at-eps.")
    var minCertifiedAccuracy: Double?

    @Option(name: .long, help: "The radius for --min-certified-accuracy.")
    var atEps: Double?

    @Option(name: .long, help: "A previous results file to compare with.")
    var baseline: String?

    @Option(name: .long, help: "With --baseline: fail if the median certified radius drops by more than this fraction (0.1 = 10%).")
    var maxRegression: Double?

    func validate() throws {
        for (name, v) in [("--min-radius", minRadius), ("--at-eps", atEps), ("--max-regression", maxRegression)] {
            if let v, !(v.isFinite && v >= 0) { throw ValidationError("\(name) must be a nonnegative number, got \(v)") }
        }
        if let a = minCertifiedAccuracy {
            guard a.isFinite, a >= 0, a <= 1 else { throw ValidationError("--min-certified-accuracy must be in [0, 1], got \(a)") }
            guard atEps != nil else { throw ValidationError("--min-certified-accuracy needs --at-eps") }
        }
        if maxRegression != nil && baseline == nil { throw ValidationError("--max-regression needs --baseline") }
    }

    func criteria() throws -> GateCriteria {
        GateCriteria(minRadius: minRadius, minCertifiedAccuracy: minCertifiedAccuracy, atEps: atEps,
                     baseline: try baseline.map { try CertificationResults.load(path: $0) }, maxRegression: maxRegression)
    }
}

/// Writes report.md, report.html and junit.xml into a folder.
func writeReports(_ results: [CertificationResults], absorption: [AbsorptionResults] = [], gate: GateCriteria, to dir: String) throws {
    do {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try MarkdownReport.render(results, absorption: absorption, gate: gate).write(toFile: dir + "/report.md", atomically: true, encoding: .utf8)
        try HTMLReport.render(results, absorption: absorption, gate: gate).write(toFile: dir + "/report.html", atomically: true, encoding: .utf8)
        try JUnitReport.render(results[0], gate: gate).write(toFile: dir + "/junit.xml", atomically: true, encoding: .utf8)
    } catch {
        throw ValidationError("cannot write the report into \(dir): \(error.localizedDescription)")
    }
}

/// Prints the gate's outcome on stderr and returns the exit code it implies (0 pass, 1 fail).
func reportGate(_ results: CertificationResults, _ gate: GateCriteria) -> Int32 {
    guard !gate.isEmpty else { return 0 }
    let outcome = Gate.evaluate(results, gate)
    for c in outcome.checks { Console.error("gate: \(c.passed ? "pass" : "FAIL"): \(c.detail)") }
    Console.error(outcome.passed ? "gate: PASSED" : "gate: FAILED")
    return outcome.passed ? 0 : 1
}
