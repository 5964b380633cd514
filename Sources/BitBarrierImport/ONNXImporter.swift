import BitBarrierCore
import Foundation
import ONNXProto
import SwiftProtobuf

/// Imports an ONNX model into the network IR.
///
/// Constant subexpressions (initializers, Constant nodes, Shape of a known tensor, Gather,
/// Cast, Concat, arithmetic on constants) are folded at import; every operator applied to the
/// network's input becomes a node with a typed layer. The single dispatch from `op_type` to a
/// layer is `ONNXImporter.importNode(_:)` (ONNXImporter+Operators.swift).
struct ONNXImporter {
    let file: String

    /// A tensor computed from the network input: where it comes from and its static shape.
    struct Computed {
        var ref: ValueRef
        var shape: [Int]
    }

    enum Value {
        case constant(ConstantTensor)
        case computed(Computed)
    }

    var values: [String: Value] = [:]
    var nodes: [Node] = []
    var opset = 13
    /// Whether the graph holds quantizers: float ops then carry float32 runtime error terms,
    /// since a quantizer turns a float32 rounding difference into a whole bin.
    var quantized = false
    /// Pending pieces of quantize_dynamic's pattern, by tensor name (ONNXImporter+Dynamic.swift).
    var dynamic: [String: DynamicValue] = [:]
    /// Outputs of fused dynamic layers that may still take their bias Add, with the node index.
    var fusedOutputs: [String: Int] = [:]
    /// How many nodes (and graph outputs) read each tensor.
    var consumers: [String: Int] = [:]

    init(file: String) { self.file = file }

    mutating func importModel(_ data: Data) throws -> Network {
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw ImportError(file: file, message: "not a valid ONNX protobuf (truncated or corrupt file?): \(error)")
        }
        guard model.hasGraph, !model.graph.output.isEmpty else {
            throw ImportError(file: file, message: "the model has no graph or no graph output")
        }
        if let def = model.opsetImport.first(where: { $0.domain.isEmpty || $0.domain == "ai.onnx" }) {
            opset = Int(def.version)
        }
        let graph = model.graph
        quantized = graph.node.contains { ["QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear"].contains($0.opType) }
        for node in graph.node { for name in node.input { consumers[name, default: 0] += 1 } }
        for output in graph.output { consumers[output.name, default: 0] += 1 }
        for t in graph.initializer {
            values[t.name] = .constant(try ConstantTensor(t, file: file, node: nil))
        }
        let inputs = graph.input.filter { values[$0.name] == nil }
        guard inputs.count == 1 else {
            throw ImportError(file: file, message: "the model has \(inputs.count) inputs (\(inputs.map(\.name).joined(separator: ", "))); exactly one is supported")
        }
        let input = inputs[0]
        let dims = input.type.tensorType.shape.dim
        guard !dims.isEmpty || input.type.tensorType.hasShape else {
            throw ImportError(file: file, message: "input '\(input.name)' has no shape")
        }
        // Symbolic or unknown dimensions (the batch) are taken as 1.
        let inputShape = dims.map { d -> Int in
            if case .dimValue(let v)? = d.value, v > 0 { return Int(v) }
            return 1
        }
        values[input.name] = .computed(Computed(ref: .input, shape: inputShape))
        for (index, node) in graph.node.enumerated() {
            try importNode(node, index: index)
        }
        let outputName = graph.output[0].name
        guard let out = values[outputName] else {
            throw ImportError(file: file, message: "graph output '\(outputName)' is never produced")
        }
        guard case .computed(let c) = out, case .node(let last) = c.ref else {
            throw ImportError(file: file, message: "graph output '\(outputName)' does not depend on the input")
        }
        let name = graph.name.isEmpty ? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent : graph.name
        var network = Network(
            name: name, inputName: input.name, inputShape: inputShape, outputName: outputName,
            nodes: nodes, output: last)
        if network.nodes[last].shape != c.shape { network.nodes[last].shape = c.shape }
        return network
    }

    // MARK: helpers shared by the operator importers

    func error(_ node: Onnx_NodeProto, _ message: String) -> ImportError {
        ImportError(file: file, node: nodeName(node), opType: node.opType, message: message)
    }

    func nodeName(_ node: Onnx_NodeProto) -> String {
        node.name.isEmpty ? "\(node.opType) -> \(node.output.first ?? "?")" : node.name
    }

    func value(_ name: String, of node: Onnx_NodeProto) throws -> Value {
        guard let v = values[name] else {
            throw error(node, "input '\(name)' is not defined (missing initializer or earlier node)")
        }
        return v
    }

    /// A constant input, checked finite.
    func constant(_ i: Int, of node: Onnx_NodeProto, what: String) throws -> ConstantTensor {
        guard i < node.input.count, !node.input[i].isEmpty else { throw error(node, "missing input \(i) (\(what))") }
        guard case .constant(let c) = try value(node.input[i], of: node) else {
            throw error(node, "\(what) '\(node.input[i])' must be a constant (initializer), but it is computed from the input")
        }
        if let bad = c.firstNonFinite {
            throw error(node, "\(what) '\(node.input[i])' contains \(c.values[bad]) at index \(bad)")
        }
        return c
    }

    func optionalConstant(_ i: Int, of node: Onnx_NodeProto, what: String) throws -> ConstantTensor? {
        guard i < node.input.count, !node.input[i].isEmpty else { return nil }
        return try constant(i, of: node, what: what)
    }

    func computed(_ i: Int, of node: Onnx_NodeProto) throws -> Computed {
        guard i < node.input.count else { throw error(node, "missing input \(i)") }
        guard case .computed(let c) = try value(node.input[i], of: node) else {
            throw error(node, "input '\(node.input[i])' was expected to depend on the network input")
        }
        return c
    }

    func attribute(_ node: Onnx_NodeProto, _ name: String) -> Onnx_AttributeProto? {
        node.attribute.first { $0.name == name }
    }

    func int(_ node: Onnx_NodeProto, _ name: String, default d: Int) -> Int {
        attribute(node, name).map { Int($0.i) } ?? d
    }

    func float(_ node: Onnx_NodeProto, _ name: String, default d: Float) -> Float {
        attribute(node, name).map { $0.f } ?? d
    }

    func ints(_ node: Onnx_NodeProto, _ name: String) -> [Int]? {
        attribute(node, name).map { $0.ints.map(Int.init) }
    }

    func string(_ node: Onnx_NodeProto, _ name: String, default d: String) -> String {
        attribute(node, name).map { String(decoding: $0.s, as: UTF8.self) } ?? d
    }

    /// Appends a node reading `inputs` and records its output.
    mutating func emit(_ node: Onnx_NodeProto, layer: any Layer, inputs: [ValueRef], shape: [Int]) throws {
        let expected = shape.reduce(1, *)
        nodes.append(Node(name: nodeName(node), opType: node.opType, layer: layer, inputs: inputs, shape: shape))
        guard let out = node.output.first else { throw error(node, "has no output") }
        values[out] = .computed(Computed(ref: .node(nodes.count - 1), shape: shape))
        _ = expected
    }

    mutating func setConstant(_ node: Onnx_NodeProto, _ c: ConstantTensor) throws {
        guard let out = node.output.first else { throw error(node, "has no output") }
        values[out] = .constant(c)
    }

    /// Normalises a possibly negative axis for a given rank.
    func axis(_ a: Int, rank: Int, _ node: Onnx_NodeProto) throws -> Int {
        let r = a < 0 ? a + rank : a
        guard r >= 0 && r < max(rank, 1) else { throw error(node, "axis \(a) out of range for rank \(rank)") }
        return r
    }
}
