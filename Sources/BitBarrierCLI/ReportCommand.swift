import ArgumentParser
import BitBarrierReport
import Foundation

/// `bitbarrier report RESULTS.json... --out DIR`.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an audit report (report.md, self-contained report.html with plots, junit.xml) from certify results.",
        discussion: """
            With two results files (e.g. an FP32 model and its int8 version on the same data), the report \
            adds a comparison and a radius scatter. Gate options mark the JUnit cases and the report's verdict.
            """
    )

    @Argument(help: "Results JSON files written by `certify --json`, `compare --json` (both models) or `absorb --json` (absorption plots).")
    var results: [String]

    @Option(name: .long, help: "Output folder.")
    var out: String

    @OptionGroup var gateOptions: GateOptions

    func validate() throws {
        guard !results.isEmpty else { throw ValidationError("give at least one results file") }
    }

    func run() throws {
        var loaded: [CertificationResults] = []
        var absorption: [AbsorptionResults] = []
        for path in results {
            switch AbsorptionResults.kind(ofFile: path) {
            case "absorb": absorption.append(try AbsorptionResults.load(path: path))
            case "compare":
                let pair = try CertificationResults.loadComparison(path: path)
                loaded += [pair.0, pair.1]
            default: loaded.append(try CertificationResults.load(path: path))
            }
        }
        guard !loaded.isEmpty else { throw ValidationError("give at least one certify or compare results file") }
        let gate = try gateOptions.criteria()
        try writeReports(loaded, absorption: absorption, gate: gate, to: out)
        Console.out("wrote \(out)/report.md, \(out)/report.html, \(out)/junit.xml")
    }
}

/// `bitbarrier gate RESULTS.json`: exit 0 when the model passes, 1 when it fails.
struct GateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "Check certify results against thresholds: exit 0 pass, 1 fail (reasons on stderr), 2 bad input.",
        discussion: """
            Example: bitbarrier gate results.json --min-certified-accuracy 0.9 --at-eps 0.01 --baseline main.json --max-regression 0.05
            """
    )

    @Argument(help: "A results JSON file written by `certify --json`.")
    var results: String

    @OptionGroup var gateOptions: GateOptions

    @Option(name: .long, help: "Also write a JUnit XML file.")
    var junit: String?

    func validate() throws {
        if gateOptions.minRadius == nil && gateOptions.minCertifiedAccuracy == nil && gateOptions.baseline == nil {
            throw ValidationError("give at least one threshold: --min-radius, --min-certified-accuracy with --at-eps, or --baseline")
        }
    }

    func run() throws {
        let r = try CertificationResults.load(path: results)
        let gate = try gateOptions.criteria()
        if let junit {
            do { try JUnitReport.render(r, gate: gate).write(toFile: junit, atomically: true, encoding: .utf8) } catch {
                throw ValidationError("cannot write \(junit): \(error.localizedDescription)")
            }
        }
        let code = reportGate(r, gate)
        if code != 0 { throw ExitCode(code) }
    }
}
