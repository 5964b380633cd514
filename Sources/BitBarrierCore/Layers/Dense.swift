/// y = W x + b: ONNX Gemm and MatMul (+ Add of a constant bias) with constant weights.
///
/// W is held exactly as the model's float32 weights (converted to Double, exact), so the map has
/// no weight error; products go through BLAS with the dot-product error term (AffineMap).
public struct Dense: AffineLayer {
    public let map: AffineMap

    /// - Parameters:
    ///   - weights: row-major outputs x inputs.
    ///   - bias: one per output, or nil for none.
    ///   - runtimeFloat32: the runtime computes this layer in float32 and its result matters bit
    ///     for bit (it feeds a quantizer): the bounds then cover the float32 evaluation too, with
    ///     the relative error gamma32_{n+2} (u = 2^-24) on |W| |x| + |b|.
    public init(outputs: Int, inputs: Int, weights: [Float], bias: [Float]?, runtimeFloat32: Bool = false) {
        map = AffineMap(
            outputs: outputs, inputs: inputs, storage: .dense(weights.map(Double.init)),
            bias: bias?.map(Double.init),
            weightRelativeError: runtimeFloat32 ? AffineMap.float32Accumulation(inputs) : 0)
    }

    /// A dense layer with weights and bias given exactly as Doubles (integer kernels: the
    /// weights are b - zb and the bias folds the int32 bias and the input zero point, all exact).
    public init(outputs: Int, inputs: Int, exactWeights: [Double], bias: [Double]) {
        map = AffineMap(outputs: outputs, inputs: inputs, storage: .dense(exactWeights), bias: bias)
    }

    public var summary: String { "Dense \(map.inputs)->\(map.outputs)" }
    public var parameterCount: Int { map.weightCount + map.outputs }
}
