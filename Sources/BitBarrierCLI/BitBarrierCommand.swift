import ArgumentParser
import Foundation

/// The `bitbarrier` command: a thin shell over the BitBarrier libraries.
struct BitBarrierCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bitbarrier",
        abstract: "Certify the robustness of FP32 and int8 neural networks: how far, not just yes or no.",
        discussion: """
            Reads ONNX (and .nnet) models, evaluates them as onnxruntime does, and computes sound \
            bounds on their outputs.

            Examples:
              bitbarrier inspect Examples/digits-mlp/model.onnx
              bitbarrier eval Examples/digits-mlp/model.onnx --data Examples/digits-mlp/test.csv --json out.json
              bitbarrier bounds Examples/digits-mlp/model.onnx --data Examples/digits-mlp/test.csv --eps 0.01 --method crown
              bitbarrier certify Examples/digits-mlp/model.onnx --data Examples/digits-mlp/test.csv --eps 0.01,0.02 --attack --json r.json
              bitbarrier report r.json --out Reports/digits
              bitbarrier gate r.json --min-certified-accuracy 0.9 --at-eps 0.01

            Exit codes:
              0  success
              1  the model failed a gate (`gate`, or `certify` with gate thresholds)
              2  bad usage or bad input (the message names the file and the place)
              3  internal error (a bug: please report it with the command line)
            """,
        version: BitBarrierVersion.string,
        subcommands: [InspectCommand.self, EvalCommand.self, BoundsCommand.self, CertifyCommand.self, ReportCommand.self, GateCommand.self, AbsorbCommand.self, CompareCommand.self, StudyCommand.self, VerifyCommand.self]
    )
}

/// The tool's version, recorded in every JSON it writes.
enum BitBarrierVersion {
    static let string = "0.1.0"
}

/// An error that is our bug, not the user's input: exit code 3.
struct InternalError: Error, CustomStringConvertible {
    var description: String
}

@main
enum Main {
    static func main() {
        do {
            var command = try BitBarrierCommand.parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch {
            let exitCode = BitBarrierCommand.exitCode(for: error)
            let message = BitBarrierCommand.fullMessage(for: error)
            if exitCode == .success {
                print(message)
                exit(0)
            }
            Console.error("error: " + message.replacingOccurrences(of: "Error: ", with: ""))
            exit(error is InternalError ? 3 : 2)
        }
    }
}
