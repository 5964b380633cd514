/// ONNX Concat of computed tensors: input k's element i goes to output position positions[k][i].
///
/// A permutation of the joined inputs, so every transformer is exact.
public struct Concat: Layer {
    public let positions: [[Int]]
    public let size: Int

    /// - Parameters:
    ///   - shapes: the input shapes (equal except along `axis`).
    ///   - axis: a nonnegative axis.
    public init(shapes: [[Int]], axis: Int) throws {
        guard let first = shapes.first, axis >= 0, axis < first.count else {
            throw LayerError.invalid("Concat: axis \(axis) out of range")
        }
        for s in shapes where s.count != first.count || (0..<s.count).contains(where: { $0 != axis && s[$0] != first[$0] }) {
            throw LayerError.invalid("Concat: shapes \(shapes) differ outside axis \(axis)")
        }
        let outer = first[..<axis].reduce(1, *)
        let inner = first[(axis + 1)...].reduce(1, *)
        let total = shapes.reduce(0) { $0 + $1[axis] }
        var offset = 0
        var positions: [[Int]] = []
        for s in shapes {
            var p: [Int] = []
            p.reserveCapacity(s.reduce(1, *))
            for o in 0..<outer {
                for k in 0..<s[axis] {
                    for i in 0..<inner { p.append((o * total + offset + k) * inner + i) }
                }
            }
            offset += s[axis]
            positions.append(p)
        }
        self.positions = positions
        self.size = outer * total * inner
    }

    public var summary: String { "Concat(\(positions.map { String($0.count) }.joined(separator: "+")))" }
    public var parameterCount: Int { 0 }

    public func evaluate(_ inputs: [[Float]]) -> [Float] {
        var y = [Float](repeating: 0, count: size)
        for (k, p) in positions.enumerated() { for i in p.indices { y[p[i]] = inputs[k][i] } }
        return y
    }

    public func propagate(_ inputs: [Bounds]) -> Bounds {
        var lo = [Double](repeating: 0, count: size), hi = lo
        for (k, p) in positions.enumerated() {
            for i in p.indices { lo[p[i]] = inputs[k].lower[i]; hi[p[i]] = inputs[k].upper[i] }
        }
        return Bounds(lower: lo, upper: hi)
    }

    public func backward(_ a: LinearRows, inputs: [Bounds]) -> BackwardStep {
        let parts = positions.map { p -> LinearRows? in
            var out = LinearRows(zeros: a.rows, columns: p.count)
            for r in 0..<a.rows {
                for i in p.indices { out.values[r * p.count + i] = a.values[r * a.columns + p[i]] }
            }
            return out
        }
        return BackwardStep(inputs: parts, constant: [Double](repeating: 0, count: a.rows))
    }

    public func pullback(_ inputs: [[Float]], gradient: [Double]) -> [[Double]] {
        positions.map { p in p.map { gradient[$0] } }
    }
}
