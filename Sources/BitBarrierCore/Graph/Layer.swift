/// One operator of the network IR with all of its semantics side by side.
///
/// The contract every layer keeps (checked per layer by the sampling tests in
/// `Tests/BitBarrierCoreTests/LayerSoundnessTests.swift`):
///
/// - `evaluate` is the concrete float32 semantics, as onnxruntime computes it (within its own
///   summation-order differences).
/// - `propagate` is the interval transformer: for every real input inside the input bounds, the
///   real-arithmetic output lies inside the returned bounds (outward rounded).
/// - `backward` is the CROWN linear relaxation: given rows of coefficients `a` such that some
///   quantity is bounded below by `a . y + c`, it returns coefficients `a_k` on each input `x_k`
///   and a constant `d` with `a . y >= sum_k a_k . x_k + d` for every real input inside the input
///   bounds, the floating-point error of computing `a_k` and `d` included.
/// - `pullback` is the vector-Jacobian product of the concrete function (used by attacks only;
///   it needs no soundness).
public protocol Layer: Sendable {
    /// A short name for listings, e.g. "Dense 784->256".
    var summary: String { get }
    /// Number of learned parameters (weights and biases).
    var parameterCount: Int { get }
    /// Concrete float32 evaluation.
    func evaluate(_ inputs: [[Float]]) -> [Float]
    /// Sound interval bounds of the output.
    func propagate(_ inputs: [Bounds]) -> Bounds
    /// Sound backward linear relaxation (see the protocol's discussion).
    func backward(_ a: LinearRows, inputs: [Bounds]) -> BackwardStep
    /// Gradient of `gradient . output` with respect to each input, at the given concrete inputs.
    func pullback(_ inputs: [[Float]], gradient: [Double]) -> [[Double]]
}

/// Row-major coefficient rows: row r is the linear form sum_j values[r * columns + j] * x_j.
public struct LinearRows: Sendable {
    public var rows: Int
    public var columns: Int
    public var values: [Double]

    public init(rows: Int, columns: Int, values: [Double]) {
        precondition(values.count == rows * columns, "LinearRows: \(values.count) values for \(rows)x\(columns)")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public init(zeros rows: Int, columns: Int) {
        self.init(rows: rows, columns: columns, values: [Double](repeating: 0, count: rows * columns))
    }

    /// The identity rows (one per coordinate), optionally negated: the specification used to
    /// bound each neuron of a layer from below (identity) and from above (negated identity).
    /// The columns with a nonzero entry in some row, in order. A column j is kept when some
    /// entry has nonzero magnitude bits: the bit patterns are ORed down each column (branch-free,
    /// vectorisable), then the sign bit is dropped (so -0 counts as zero; NaN as nonzero).
    public func nonzeroColumns() -> [Int] {
        var bits = [UInt64](repeating: 0, count: columns)
        values.withUnsafeBufferPointer { av in
        bits.withUnsafeMutableBufferPointer { bv in
            for r in 0..<rows {
                let row = av.baseAddress! + r * columns
                for j in 0..<columns { bv[j] |= row[j].bitPattern }
            }
        }
        }
        return (0..<columns).filter { bits[$0] << 1 != 0 }
    }

    /// If every row is +1 or -1 times a unit vector, its (column, sign) per row.
    public func unitRows() -> [(Int, Double)]? {
        var result: [(Int, Double)] = []
        result.reserveCapacity(rows)
        let n = columns
        return values.withUnsafeBufferPointer { buffer -> [(Int, Double)]? in
            for r in 0..<rows {
                let row = buffer.baseAddress! + r * n
                var found: (Int, Double)? = nil
                var j = 0
                while j < n {
                    // Four entries of zero magnitude at once (the sign bit shifted out).
                    if j + 4 <= n && (row[j].bitPattern | row[j + 1].bitPattern | row[j + 2].bitPattern | row[j + 3].bitPattern) << 1 == 0 {
                        j += 4
                        continue
                    }
                    let v = row[j]
                    if v != 0 {
                        guard found == nil, v == 1 || v == -1 else { return nil }
                        found = (j, v)
                    }
                    j += 1
                }
                guard let f = found else { return nil }
                result.append(f)
            }
            return result
        }
    }

    public static func identity(_ n: Int, sign: Double = 1, selecting indices: [Int]? = nil) -> LinearRows {
        let idx = indices ?? Array(0..<n)
        var r = LinearRows(zeros: idx.count, columns: n)
        for (row, j) in idx.enumerated() { r.values[row * n + j] = sign }
        return r
    }
}

/// The result of one backward step through a layer.
public struct BackwardStep: Sendable {
    /// Coefficients on each layer input (nil when the rows do not depend on that input).
    public var inputs: [LinearRows?]
    /// A sound lower bound of the constant term contributed by this layer, per row.
    public var constant: [Double]

    public init(inputs: [LinearRows?], constant: [Double]) {
        self.inputs = inputs
        self.constant = constant
    }
}

extension LinearRows {
    /// The given rows, in the given order.
    public func selectingRows(_ indices: [Int]) -> LinearRows {
        let n = columns
        let values = [Double](unsafeUninitializedCapacity: indices.count * n) { out, count in
            self.values.withUnsafeBufferPointer { v in
                for (k, r) in indices.enumerated() {
                    (out.baseAddress! + k * n).update(from: v.baseAddress! + r * n, count: n)
                }
            }
            count = indices.count * n
        }
        return LinearRows(rows: indices.count, columns: n, values: values)
    }
}
