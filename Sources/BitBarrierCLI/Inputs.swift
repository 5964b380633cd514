import ArgumentParser
import BitBarrierCore
import BitBarrierData
import BitBarrierImport
import Foundation

/// The model argument shared by every command.
struct ModelArgument: ParsableArguments {
    @Argument(help: "The model: an .onnx file (FP32 or int8) or an .nnet file.")
    var model: String

    func load() throws -> Network {
        try ModelLoader.load(path: model)
    }
}

/// Data options shared by the commands that run inputs through a model.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: "Inputs: a CSV file (label first, then features) or a .npy file of features.")
    var data: String

    @Option(name: .long, help: "Labels as a .npy file (when --data is a .npy of features).")
    var labels: String?

    @Option(name: .long, help: "Divide every feature by this value (255 for 0..255 pixel files).")
    var pixelScale: Float?

    @Flag(name: .long, help: "The CSV has no label column: every field is a feature.")
    var noLabels = false

    @Option(name: .long, help: "Use only the first N inputs.")
    var limit: Int?

    func validate() throws {
        if let s = pixelScale, !(s > 0 && s.isFinite) { throw ValidationError("--pixel-scale must be a positive number, got \(s)") }
        if let l = limit, l < 1 { throw ValidationError("--limit must be at least 1, got \(l)") }
    }

    /// Loads the data set and checks it against the model's input width.
    func load(for network: Network) throws -> Dataset {
        var dataset = try Dataset.load(path: data, labels: labels, pixelScale: pixelScale, hasLabels: !noLabels)
        try dataset.checkWidth(network.inputSize)
        if let limit, dataset.features.count > limit {
            dataset = Dataset(features: Array(dataset.features.prefix(limit)), labels: dataset.labels.map { Array($0.prefix(limit)) },
                              width: dataset.width, source: dataset.source)
        }
        if let labels = dataset.labels, let bad = labels.firstIndex(where: { $0 < 0 || $0 >= network.outputSize }) {
            throw ValidationError("\(data): row \(bad + 1) has label \(labels[bad]), but the model has \(network.outputSize) outputs (labels 0..<\(network.outputSize))")
        }
        return dataset
    }
}

/// Index of the largest value (the first on ties), as numpy's argmax.
func argmax(_ v: [Float]) -> Int {
    var best = 0
    for i in v.indices where v[i] > v[best] { best = i }
    return best
}

extension ModelLoader {
    /// Loads a model named on the command line (errors carry the file and node).
    static func loadForCLI(_ path: String) throws -> Network { try load(path: path) }
}
