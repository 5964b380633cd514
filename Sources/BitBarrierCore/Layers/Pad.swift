/// ONNX Pad in constant mode on the last two axes of [C, H, W]: a selection map plus a constant.
///
/// Exact: every weight is 1 and the padding value a float32 constant.
public struct Pad: AffineLayer {
    public let map: AffineMap
    public let inputShape: [Int]
    public let outputShape: [Int]

    /// - Parameter pads: ONNX layout, begins of every axis then ends of every axis.
    public init(inputShape: [Int], pads: [Int], value: Float) throws {
        let rank = inputShape.count
        guard pads.count == 2 * rank else { throw LayerError.invalid("Pad: \(pads.count) pads for rank \(rank)") }
        guard pads.allSatisfy({ $0 >= 0 }) else { throw LayerError.invalid("Pad: negative pads (cropping) are not supported") }
        let out = (0..<rank).map { inputShape[$0] + pads[$0] + pads[$0 + rank] }
        let total = out.reduce(1, *)
        var rowStart = [0], column: [Int] = [], value_: [Double] = []
        var bias = [Double](repeating: 0, count: total)
        var index = [Int](repeating: 0, count: rank)
        let inStrides = Pad.strides(inputShape)
        for o in 0..<total {
            var rem = o, source = 0, inside = true
            for d in stride(from: rank - 1, through: 0, by: -1) {
                index[d] = rem % out[d]; rem /= out[d]
                let i = index[d] - pads[d]
                if i < 0 || i >= inputShape[d] { inside = false } else { source += i * inStrides[d] }
            }
            if inside { column.append(source); value_.append(1) } else { bias[o] = Double(value) }
            rowStart.append(column.count)
        }
        self.inputShape = inputShape
        self.outputShape = out
        self.map = AffineMap(
            outputs: total, inputs: inputShape.reduce(1, *),
            storage: .sparse(rowStart: rowStart, column: column, value: value_), bias: bias)
    }

    static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { s[d] = s[d + 1] * shape[d + 1] }
        return s
    }

    public var summary: String { "Pad \(inputShape.map(String.init).joined(separator: "x"))->\(outputShape.map(String.init).joined(separator: "x"))" }
    public var parameterCount: Int { 0 }
}
