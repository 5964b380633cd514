import ArgumentParser
import BitBarrierCore
import Foundation

/// `bitbarrier inspect MODEL`: what the model is.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "List a model's layers, shapes, parameter count, operators and input/output names.",
        discussion: "Fails with exit code 2, naming the node, if the model uses an operator BitBarrier does not support."
    )

    @OptionGroup var model: ModelArgument

    @Option(name: .long, help: "Also write the listing as JSON to this file ('-' for stdout).")
    var json: String?

    struct Listing: Encodable {
        struct Layer: Encodable {
            var index: Int
            var name: String
            var op: String
            var layer: String
            var inputs: [String]
            var shape: [Int]
            var parameters: Int
        }
        var model: String
        var name: String
        var input: String
        var inputShape: [Int]
        var output: String
        var outputShape: [Int]
        var parameters: Int
        var operators: [String: Int]
        var layers: [Layer]
        var lipschitzLInf: Double?
        var lipschitzL2: Double?
    }

    func run() throws {
        let network = try model.load()
        var ops: [String: Int] = [:]
        for n in network.nodes { ops[n.opType, default: 0] += 1 }
        let layers = network.nodes.enumerated().map { i, n in
            Listing.Layer(
                index: i, name: n.name, op: n.opType, layer: n.layer.summary,
                inputs: n.inputs.map { ref -> String in
                    switch ref {
                    case .input: return network.inputName
                    case .node(let j): return "#\(j)"
                    }
                },
                shape: n.shape, parameters: n.layer.parameterCount)
        }
        let lipschitz = LipschitzBounds(network: network)
        let listing = Listing(
            model: model.model, name: network.name, input: network.inputName, inputShape: network.inputShape,
            output: network.outputName, outputShape: network.outputShape, parameters: network.parameterCount,
            operators: ops, layers: layers, lipschitzLInf: lipschitz.networkLInf, lipschitzL2: lipschitz.networkL2.flatMap { $0.isFinite ? $0 : nil })
        if let json {
            try Console.writeJSON(listing, to: json)
            if json == "-" { return }
        }
        Console.out("model      \(model.model)")
        Console.out("input      \(network.inputName) \(network.inputShape)")
        Console.out("output     \(network.outputName) \(network.outputShape)")
        Console.out("parameters \(network.parameterCount)")
        Console.out("operators  " + ops.sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }.joined(separator: ", "))
        if let l = lipschitz.networkLInf {
            Console.out(String(format: "Lipschitz  <= %.4g (L-inf), <= %.4g (L2): sound upper bounds, product of the layers' operator norms", l, lipschitz.networkL2 ?? .infinity))
        } else {
            Console.out("Lipschitz  none (not a chain of Lipschitz layers: residual, or quantized rounding)")
        }
        Console.out("")
        Console.out(pad("#", 4, right: true) + "  " + pad("node", 28) + " " + pad("layer", 24) + " " + pad("shape", 16) + " params")
        for l in layers {
            Console.out(pad(String(l.index), 4, right: true) + "  " + pad(String(l.name.prefix(28)), 28) + " " + pad(l.layer, 24) + " "
                        + pad(l.shape.map(String.init).joined(separator: "x"), 16) + " \(l.parameters)")
        }
    }
}
