import ArgumentParser
import BitBarrierCore
import Foundation

/// `bitbarrier eval MODEL --data FILE`: concrete outputs, as onnxruntime computes them.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Run every input through the model (float32, as onnxruntime does) and report outputs and accuracy.",
        discussion: """
            JSON (--json): {"model", "outputs": [[...], ...], "predicted": [...], "accuracy"}; accuracy is \
            present when the data has labels. The predicted class is the first index of the largest output.
            """
    )

    @OptionGroup var model: ModelArgument
    @OptionGroup var dataOptions: DataOptions

    @Option(name: .long, help: "Write the results as JSON to this file ('-' for stdout).")
    var json: String?

    @Option(name: .long, help: "Write every node's output for the first input as JSON (name -> values), to compare layer by layer with another runtime.")
    var dumpNodes: String?

    struct Result: Encodable {
        var model: String
        var outputs: [[Float]]
        var predicted: [Int]
        var accuracy: Double?
    }

    func run() throws {
        let network = try model.load()
        let dataset = try dataOptions.load(for: network)
        let outputs = dataset.features.map { network.evaluate($0) }
        if let dumpNodes, let first = dataset.features.first {
            let values = network.evaluateAll(first)
            let named = Dictionary(network.nodes.enumerated().map { ($1.name, values[$0]) }, uniquingKeysWith: { a, _ in a })
            try Console.writeJSON(named, to: dumpNodes)
        }
        let predicted = outputs.map(argmax)
        var accuracy: Double? = nil
        if let labels = dataset.labels {
            let correct = zip(predicted, labels).filter { $0 == $1 }.count
            accuracy = Double(correct) / Double(max(labels.count, 1))
        }
        let result = Result(model: model.model, outputs: outputs, predicted: predicted, accuracy: accuracy)
        if let json {
            try Console.writeJSON(result, to: json)
            if json == "-" { return }
        }
        for (i, out) in outputs.enumerated() {
            let label = dataset.labels.map { " label \($0[i])" } ?? ""
            Console.out("\(i): predicted \(predicted[i])\(label)  [" + out.map { String(format: "%.5g", $0) }.joined(separator: ", ") + "]")
        }
        if let accuracy {
            Console.out(String(format: "accuracy %.4f (%d inputs)", accuracy, outputs.count))
        }
    }
}
