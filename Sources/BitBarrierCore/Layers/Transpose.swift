/// ONNX Transpose: a permutation of the elements, as a sparse 0/1 map (exact).
public struct Transpose: AffineLayer {
    public let map: AffineMap
    public let inputShape: [Int]
    public let permutation: [Int]

    public init(inputShape: [Int], permutation: [Int]) throws {
        let rank = inputShape.count
        guard permutation.sorted() == Array(0..<rank) else {
            throw LayerError.invalid("Transpose: perm \(permutation) is not a permutation of 0..<\(rank)")
        }
        let out = permutation.map { inputShape[$0] }
        let inStrides = Pad.strides(inputShape)
        let total = inputShape.reduce(1, *)
        var column = [Int](repeating: 0, count: total)
        var index = [Int](repeating: 0, count: rank)
        for o in 0..<total {
            var rem = o
            for d in stride(from: rank - 1, through: 0, by: -1) { index[d] = rem % out[d]; rem /= out[d] }
            var source = 0
            for d in 0..<rank { source += index[d] * inStrides[permutation[d]] }
            column[o] = source
        }
        self.inputShape = inputShape
        self.permutation = permutation
        self.map = AffineMap(
            outputs: total, inputs: total,
            storage: .sparse(rowStart: Array(0...total), column: column, value: [Double](repeating: 1, count: total)))
    }

    public var summary: String { "Transpose \(permutation)" }
    public var parameterCount: Int { 0 }
}
