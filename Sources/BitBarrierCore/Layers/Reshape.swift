/// Reshape, Flatten, Identity, Dropout (inference), Squeeze, Unsqueeze: the flat C-order data is
/// unchanged, only the shape is. Every transformer is the identity (exact).
public struct Reshape: Layer {
    public let size: Int
    public let operatorName: String

    public init(size: Int, operatorName: String = "Reshape") {
        self.size = size
        self.operatorName = operatorName
    }

    public var summary: String { "\(operatorName)(\(size))" }
    public var parameterCount: Int { 0 }
    public func evaluate(_ inputs: [[Float]]) -> [Float] { inputs[0] }
    public func propagate(_ inputs: [Bounds]) -> Bounds { inputs[0] }
    public func backward(_ a: LinearRows, inputs: [Bounds]) -> BackwardStep {
        BackwardStep(inputs: [a], constant: [Double](repeating: 0, count: a.rows))
    }
    public func pullback(_ inputs: [[Float]], gradient: [Double]) -> [[Double]] { [gradient] }
}
