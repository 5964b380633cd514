/// Where a node reads a value from: the network's input or an earlier node's output.
public enum ValueRef: Sendable, Hashable {
    case input
    case node(Int)
}

/// One node of the network graph: a layer applied to earlier values.
public struct Node: Sendable {
    /// The ONNX node name (or a generated one), for messages and listings.
    public var name: String
    /// The operator(s) this node came from, e.g. "Gemm" or "Conv".
    public var opType: String
    public var layer: any Layer
    public var inputs: [ValueRef]
    /// Output shape (batch dimension included as in the model, usually 1).
    public var shape: [Int]

    public init(name: String, opType: String, layer: any Layer, inputs: [ValueRef], shape: [Int]) {
        self.name = name
        self.opType = opType
        self.layer = layer
        self.inputs = inputs
        self.shape = shape
    }

    public var size: Int { shape.reduce(1, *) }
}

/// The network IR: a DAG of typed layers in topological order, one input and one output.
///
/// Every value is a flat C-order vector; shapes are kept for listings and for layers that need
/// them (convolutions, pooling, transposes), which capture what they need at import time.
public struct Network: Sendable {
    public var name: String
    public var inputName: String
    public var inputShape: [Int]
    public var outputName: String
    public var nodes: [Node]
    /// The node producing the output (usually the last).
    public var output: Int

    public init(name: String, inputName: String, inputShape: [Int], outputName: String, nodes: [Node], output: Int) {
        self.name = name
        self.inputName = inputName
        self.inputShape = inputShape
        self.outputName = outputName
        self.nodes = nodes
        self.output = output
    }

    public var inputSize: Int { inputShape.reduce(1, *) }
    public var outputSize: Int { nodes[output].size }
    public var outputShape: [Int] { nodes[output].shape }
    public var parameterCount: Int { nodes.reduce(0) { $0 + $1.layer.parameterCount } }

    /// Shape of a value.
    public func shape(of ref: ValueRef) -> [Int] {
        switch ref {
        case .input: return inputShape
        case .node(let i): return nodes[i].shape
        }
    }

    /// Concrete float32 outputs of every node for one input (index i is node i).
    public func evaluateAll(_ input: [Float]) -> [[Float]] {
        evaluateAll(input, replacing: nil)
    }

    /// Every node's value, with `replace` (when given and not nil for a node) computing a node
    /// from its arguments instead of its layer (the leaky network of ``gradient(at:outputWeights:reluLeak:)``).
    func evaluateAll(_ input: [Float], replacing replace: ((Node, [[Float]]) -> [Float]?)?) -> [[Float]] {
        precondition(input.count == inputSize, "Network.evaluate: input has \(input.count) values, expected \(inputSize)")
        var values: [[Float]] = []
        values.reserveCapacity(nodes.count)
        for node in nodes {
            let args = node.inputs.map { ref -> [Float] in
                switch ref {
                case .input: return input
                case .node(let i): return values[i]
                }
            }
            values.append(replace?(node, args) ?? node.layer.evaluate(args))
        }
        return values
    }

    /// Concrete float32 output for one input.
    public func evaluate(_ input: [Float]) -> [Float] {
        evaluateAll(input)[output]
    }

    /// Which nodes the output depends on (others are skipped by the analyses).
    public var liveNodes: [Bool] {
        var live = [Bool](repeating: false, count: nodes.count)
        live[output] = true
        for i in stride(from: output, through: 0, by: -1) where live[i] {
            for case .node(let j) in nodes[i].inputs { live[j] = true }
        }
        return live
    }
}
