import ArgumentParser
import BitBarrierCertify
import BitBarrierCore
import BitBarrierData
import Foundation

/// `bitbarrier verify MODEL SPEC.vnnlib`: complete verification of a VNN-LIB property, with the
/// answer in the VNN-COMP result format.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Decide a VNN-LIB property: unsat (holds), sat (with a replayed counterexample), timeout or unknown.",
        discussion: """
            Falsification first (box centre, corners, samples on the box's faces and inside \
            it, sign-gradient descent), then branch and bound on all cores: input splitting \
            with CROWN bounds for properties with few inputs (ACAS Xu's 5), ReLU splitting for \
            the others (MNIST's 784), with CROWN bounds on each sub-domain, then an LP (GLPK, \
            warm-started, made safe from its dual) where CROWN leaves it open. `unsat` is \
            printed only when sound bounds excluded the unsafe outputs on every piece of a \
            complete split; `sat` only with an input inside the box whose float32 output, \
            computed as onnxruntime does, meets the unsafe condition. The witness follows in \
            VNN-COMP's format, values printed exactly (each float32 as its shortest round-trip \
            double):

              sat
              ((X_0 0.5)
               (X_1 -0.25)
               (Y_0 3.9900000095367432))

            While branch and bound runs, a progress line on stderr (a terminal only) shows the \
            boxes bounded, the boxes still open and the deepest split, once a second.

            Exit codes: 0 whatever the verdict (unsat, sat, timeout, unknown); 2 for a model or \
            property that cannot be read or that do not fit each other (the result file then says \
            `error`); 3 for an internal error.
            """
    )

    @OptionGroup var model: ModelArgument

    @Argument(help: "The property: a .vnnlib file describing the unsafe region.")
    var spec: String

    @Option(name: .long, help: "Wall-clock budget in seconds, loading included.")
    var timeout: Double = 60

    @Option(name: .long, help: "Also write the result to this file (VNN-COMP result format).")
    var result: String?

    @Option(name: .long, help: "Parallel branch-and-bound workers (default: all cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard timeout.isFinite, timeout > 0 else { throw ValidationError("--timeout must be a positive number of seconds, got \(timeout)") }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
    }

    func run() throws {
        let started = Date()
        BLAS.useSingleThread()
        let network = try model.load()
        let property = try VNNLibSpec.load(path: spec)
        let remaining = timeout - Date().timeIntervalSince(started)
        let line = SearchProgressLine(started: started, enabled: isatty(2) != 0)
        let options = VerifyOptions(timeout: max(remaining, 0), workers: jobs, progress: { line.draw($0) })
        let (verdict, boxes) = PropertyChecker(network: network, options: options).check(property)
        line.finish()
        let text = Self.resultText(verdict)
        if let result {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: result))
            } catch {
                throw ValidationError("cannot write \(result): \(error.localizedDescription)")
            }
        }
        FileHandle.standardOutput.write(Data(text.utf8))
        let elapsed = Date().timeIntervalSince(started)
        Console.error(String(format: "verify: %@ in %.2f s (%d boxes)", verdict.label, elapsed, boxes))
        switch verdict {
        case .error(let why): throw ValidationError("\(spec): \(why)")
        case .unknown(let why): Console.error("verify: unknown: \(why)")
        default: break
        }
    }

    /// The VNN-COMP result text: the verdict line, then for `sat` the witness.
    static func resultText(_ verdict: VerifyResult) -> String {
        guard case .sat(let w) = verdict else { return verdict.label + "\n" }
        var lines: [String] = []
        for (i, x) in w.input.enumerated() { lines.append("(X_\(i) \(Double(x)))") }
        for (j, y) in w.output.enumerated() { lines.append("(Y_\(j) \(Double(y)))") }
        return "sat\n(" + lines.joined(separator: "\n ") + ")\n"
    }
}
