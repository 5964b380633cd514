import Foundation

/// The free parameters of CROWN's ReLU relaxation, one set per row of a backward pass:
/// alpha-CROWN's lower slopes and beta-CROWN's split multipliers (Xu et al. 2021, Wang et al.
/// 2021).
///
/// Any values in their ranges give a sound bound, so the optimiser that picks them carries no
/// soundness obligation:
/// - `alpha[relu][r * n + j]` in [0, 1] is the lower line y >= alpha z of unstable neuron j for
///   row r (used when the row's coefficient on y_j is >= 0): max(z, 0) >= alpha z for every real
///   z when 0 <= alpha <= 1, with intercept 0, so no rounding enters the line itself.
/// - `beta[k][r]` >= 0 multiplies split k's constraint (z >= 0 or z <= 0 on the sub-domain):
///   the pass bounds f - beta z (active) or f + beta z (inactive), which is <= f wherever the
///   split holds. The coefficient a_j -/+ beta is rounded, but the rounded value is a_j -/+ beta'
///   for a real beta' >= 0 (rounding is monotone), so the bound is exactly a Lagrangian one.
///
/// Proofs/AlphaBetaCROWN.md.
public struct ReLUMultipliers: Sendable {
    public let rows: Int
    /// Lower slopes by ReLU node: rows x n values in [0, 1].
    public var alpha: [Int: [Double]]
    /// The splits the multipliers belong to, and for each split one multiplier >= 0 per row.
    public let splits: [NeuronSplit]
    public var beta: [[Double]]
    /// Rows over different sub-domains of the same node bounds (a batch of search leaves, see
    /// ``stacking(_:)``): `holds[k][r]` says whether split k is a constraint of row r's domain.
    /// The pass then treats the split neuron of such a row as stable (y = z or y = 0, exact on
    /// that row's domain) and keeps the row's beta for split k at 0 where it does not hold.
    /// nil: every split holds on every row, and the node bounds are clamped to them already.
    public let holds: [[Bool]]?

    /// CROWN's own choice (slope 1 where u >= -l, else 0) and no split terms.
    public init(rows: Int, relus: [(relu: Int, pre: Int)], nodes: [Bounds], splits: [NeuronSplit]) {
        self.rows = rows
        var alpha: [Int: [Double]] = [:]
        for (relu, pre) in relus {
            let b = nodes[pre]
            let row = (0..<b.count).map { b.upper[$0] >= -b.lower[$0] ? 1.0 : 0.0 }
            alpha[relu] = [[Double]](repeating: row, count: rows).flatMap { $0 }
        }
        self.alpha = alpha
        self.splits = splits
        beta = [[Double]](repeating: [Double](repeating: 0, count: rows), count: splits.count)
        holds = nil
    }

    init(rows: Int, alpha: [Int: [Double]], splits: [NeuronSplit], beta: [[Double]], holds: [[Bool]]? = nil) {
        self.rows = rows
        self.alpha = alpha
        self.splits = splits
        self.beta = beta
        self.holds = holds
    }

    /// Whether split k constrains row r's domain.
    @inline(__always) func holds(_ k: Int, row r: Int) -> Bool {
        holds?[k][r] ?? true
    }

    /// The rows of several multipliers (over the same ReLUs) as one batch, each row keeping its
    /// own splits: the splits are merged, and a split holds on the rows of the parts that have
    /// it (``holds``), with their betas; on the other rows its beta is 0. Each part's splits
    /// must all hold on all its rows. When every split holds on every row (parts of one domain,
    /// as `optimizedLayerBounds` puts its threads' rows together) the result is no batch.
    public static func stacking(_ parts: [ReLUMultipliers]) -> ReLUMultipliers {
        precondition(!parts.isEmpty && parts.allSatisfy { $0.holds == nil }, "ReLUMultipliers.stacking: empty, or a part is a batch")
        let rows = parts.reduce(0) { $0 + $1.rows }
        var alpha: [Int: [Double]] = [:]
        for node in parts[0].alpha.keys {
            var values: [Double] = []
            for p in parts {
                guard let v = p.alpha[node] else { preconditionFailure("ReLUMultipliers.stacking: parts over different ReLUs") }
                values += v
            }
            alpha[node] = values
        }
        var index: [NeuronSplit: Int] = [:]
        var splits: [NeuronSplit] = []
        var beta: [[Double]] = []
        var holds: [[Bool]] = []
        var offset = 0
        for p in parts {
            for (k, s) in p.splits.enumerated() {
                let i: Int
                if let known = index[s] {
                    i = known
                } else {
                    i = splits.count
                    index[s] = i
                    splits.append(s)
                    beta.append([Double](repeating: 0, count: rows))
                    holds.append([Bool](repeating: false, count: rows))
                }
                for r in 0..<p.rows {
                    beta[i][offset + r] = p.beta[k][r]
                    holds[i][offset + r] = true
                }
            }
            offset += p.rows
        }
        // Splits that hold on every row: not a batch of different domains.
        let all = holds.allSatisfy { $0.allSatisfy { $0 } }
        return ReLUMultipliers(rows: rows, alpha: alpha, splits: splits, beta: beta, holds: all ? nil : holds)
    }

    /// Row r alone, with only the splits that hold on it (no longer a batch).
    public func row(_ r: Int) -> ReLUMultipliers {
        let own = splits.indices.filter { holds($0, row: r) }
        let one = selecting([r], adding: nil)
        return ReLUMultipliers(rows: 1, alpha: one.alpha, splits: own.map { splits[$0] }, beta: own.map { one.beta[$0] })
    }

    /// A batch's splits on `node`, as (row, neuron, active) for each row they hold on; empty
    /// when not a batch (then the node bounds are clamped to the splits already).
    func rowSplits(on node: Int) -> [(row: Int, neuron: Int, active: Bool)] {
        guard let holds else { return [] }
        var out: [(row: Int, neuron: Int, active: Bool)] = []
        for (k, s) in splits.enumerated() where s.node == node {
            for r in 0..<rows where holds[k][r] { out.append((r, s.neuron, s.active)) }
        }
        return out
    }

    /// The same multipliers for a subset of the rows (`keep[r]`: the row to take row r from) and
    /// one more split, whose multipliers start at 0 (a child sub-domain's warm start).
    public func selecting(_ keep: [Int], adding split: NeuronSplit?) -> ReLUMultipliers {
        let same = keep.count == rows && keep.indices.allSatisfy { keep[$0] == $0 }
        // All rows kept (a child's start): the arrays are shared until the child changes them.
        var a: [Int: [Double]] = same ? alpha : [:]
        for (node, values) in alpha where !same {
            let n = values.count / rows
            var out = [Double](repeating: 0, count: keep.count * n)
            for (r, from) in keep.enumerated() {
                for j in 0..<n { out[r * n + j] = values[from * n + j] }
            }
            a[node] = out
        }
        var b = beta.map { row in keep.map { row[$0] } }
        var h = holds?.map { row in keep.map { row[$0] } }
        var s = splits
        if let split {
            s.append(split)
            b.append([Double](repeating: 0, count: keep.count))
            h?.append([Bool](repeating: true, count: keep.count))
        }
        return ReLUMultipliers(rows: keep.count, alpha: a, splits: s, beta: b, holds: h)
    }

    /// Adds the split terms of the splits on `node` to the rows reaching it.
    func addSplitTerms(to a: inout LinearRows, node: Int) {
        for (k, s) in splits.enumerated() where s.node == node {
            for r in 0..<rows {
                let b = beta[k][r]
                guard b > 0, holds(k, row: r) else { continue }
                let index = r * a.columns + s.neuron
                a.values[index] = s.active ? a.values[index] - b : a.values[index] + b
            }
        }
    }
}

/// alpha-CROWN's slopes for the bounds of one node's neurons, as optimised at the root of ReLU
/// branch and bound: row r < k is the lower bound of `neurons[r]` (+e_j), row k + r its upper
/// bound (-e_j). Slopes in [0, 1] make a sound bound on any sub-domain, so the sub-domains
/// re-bound their intermediate layers with the root's (their bounds only shrink, so their
/// unstable neurons are among the root's); with CROWN's default slopes instead, a split barely
/// reaches the later layers (Proofs/AlphaBetaCROWN.md).
public struct NeuronBoundSlopes: Sendable {
    public let neurons: [Int]
    public let multipliers: ReLUMultipliers
    private let position: [Int: Int]

    public init(neurons: [Int], multipliers: ReLUMultipliers) {
        precondition(multipliers.rows == 2 * neurons.count, "NeuronBoundSlopes: \(multipliers.rows) rows for \(neurons.count) neurons")
        self.neurons = neurons
        // The split terms belong to the sub-domain they were optimised on: dropped.
        self.multipliers = ReLUMultipliers(rows: multipliers.rows, alpha: multipliers.alpha, splits: [], beta: [])
        position = Dictionary(uniqueKeysWithValues: neurons.enumerated().map { ($1, $0) })
    }

    /// The slopes of the lower (or upper) bound rows of the given neurons, in that order; nil if
    /// some neuron has none.
    public func rows(_ selected: [Int], upper: Bool) -> ReLUMultipliers? {
        var keep: [Int] = []
        keep.reserveCapacity(selected.count)
        for j in selected {
            guard let r = position[j] else { return nil }
            keep.append(upper ? neurons.count + r : r)
        }
        return multipliers.selecting(keep, adding: nil)
    }
}
