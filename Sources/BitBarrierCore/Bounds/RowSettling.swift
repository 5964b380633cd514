/// Rows of a backward pass that a partial bound already settles, taken out of the pass early.
///
/// At any point of the backward pass the invariant (Proofs/CROWN.md) reads
/// C z_t >= sum_v A_v z_v + A x + c for every input in the box, so
/// c + sum_v min over bounds(v) of A_v z_v + min over the box of A x
/// is already a sound lower bound of each row (a partial bound: concretised early, hence looser
/// than the full pass, but sound). When the caller only needs to know whether a row's lower
/// bound is nonnegative (bounding a ReLU's input: -e_j rows prove u_j <= 0, an inactive neuron;
/// e_j rows prove l_j >= 0, an active one; either way the relaxation no longer depends on the
/// value), a row whose partial bound is already >= 0 is settled: its partial bound is its answer
/// and it leaves the pass, with no further products. On mnist-net_256x6 most rows that IBP left
/// unstable are inactive, and most of those are settled two layers back instead of at the input.
///
/// The check runs before each nonlinear node is expanded (where the relaxation loses precision)
/// and costs one pass over the pending rows, against a matrix product per layer for each
/// row it settles.
final class RowSettling {
    /// Whether the partial bound is checked before node i is expanded.
    let checkpoints: [Bool]
    /// Original index of each row still in the pass, in order.
    private(set) var live: [Int]
    /// The sound lower bound of every settled row (by original index); NaN for a live row.
    private(set) var settled: [Double]
    /// Whether a nonlinear node has been reached: before the first one the rows are an affine
    /// image of the pending nodes, whose partial bound is the interval bound the caller already
    /// had, so that checkpoint is skipped.
    private var relaxed = false

    init(rows: Int, network: Network) {
        live = Array(0..<rows)
        settled = [Double](repeating: .nan, count: rows)
        checkpoints = network.nodes.map { node in
            node.layer is ReLU || node.layer is Sigmoid || node.layer is Tanh || node.layer is MaxPool
        }
    }

    /// Computes the partial bound of every live row and removes the rows it settles from the
    /// pending rows, the rows on the input and the constant.
    ///
    /// Each part's minimum comes from `LinearRows.minimum` (sound, rounded down), chained through
    /// its `plus` argument: each step is a lower bound of its part plus a lower bound of the rest.
    func settle(pending: inout [Int: LinearRows], input: inout LinearRows?, constant: inout [Double],
                box: Bounds, nodes: [Bounds]) {
        guard relaxed else { relaxed = true; return }
        guard !live.isEmpty else { return }
        var partial = constant
        for (v, a) in pending { partial = a.minimum(over: nodes[v], plus: partial) }
        if let a = input { partial = a.minimum(over: box, plus: partial) }
        let keep = partial.indices.filter { !(partial[$0] >= 0) }
        guard keep.count < live.count else { return }
        for r in partial.indices where partial[r] >= 0 { settled[live[r]] = partial[r] }
        live = keep.map { live[$0] }
        constant = keep.map { constant[$0] }
        if keep.isEmpty {
            pending = [:]
            input = nil
            return
        }
        for (v, a) in pending { pending[v] = a.selectingRows(keep) }
        input = input?.selectingRows(keep)
    }

    /// Lower bounds of all the original rows: the settled ones, and `lows` (one per live row) for
    /// the rest.
    func merged(_ lows: [Double]) -> [Double] {
        precondition(lows.count == live.count, "RowSettling.merged: \(lows.count) bounds for \(live.count) live rows")
        var result = settled
        for (k, r) in live.enumerated() { result[r] = lows[k] }
        return result
    }
}
