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

extension BoundAnalysis {
    /// The result of ``optimizedLowerBounds(_:box:nodes:relus:start:steps:done:)``.
    public struct OptimizedPass: Sendable {
        /// The best sound lower bound of each row met over the steps.
        public var lows: [Double]
        /// The multipliers after the last step (a child's warm start).
        public var multipliers: ReLUMultipliers
        /// The rows reached at each ReLU node in the last pass (branching scores use them).
        public var captured: [Int: LinearRows]
        /// The last pass's rows on the input (nil if they never reach it).
        public var input: LinearRows?
    }

    /// Lower bounds of `rows . output` over the sub-domain whose node bounds are `nodes`, with the
    /// relaxation's multipliers raised by projected gradient ascent (Adam; alpha, beta-CROWN).
    ///
    /// Every pass is a sound CROWN pass (``substitute(_:at:box:nodes:capturing:multipliers:)``)
    /// and each row keeps its best bound. The gradient needs no reverse pass through the
    /// backward one: for fixed line choices the pass bounds the relaxed network R(x), an affine
    /// function of x, by its minimum over the box at a corner x*; by Danskin's theorem the
    /// derivative of the bound in alpha_j is a_j * z_j(x*) and in beta_k is -/+ z_k(x*), with a_j
    /// the row's coefficient on the ReLU's output and z the relaxed network's pre-activation at
    /// x*, one forward pass of the relaxed network per row. `done` stops early (given the best
    /// bounds so far).
    public func optimizedLowerBounds(_ rows: LinearRows, at t: Int? = nil, box: Bounds, nodes: [Bounds], relus: [(relu: Int, pre: Int)],
                                     start: ReLUMultipliers, steps: Int, done: ([Double]) -> Bool) -> OptimizedPass {
        precondition(start.rows == rows.rows, "optimizedLowerBounds: multipliers for \(start.rows) rows, not \(rows.rows)")
        let t = t ?? network.output
        let relus = relus.filter { $0.relu < t }
        let capture = Set(relus.map(\.relu))
        var stale = 0
        var m = start
        var best = [Double](repeating: -.infinity, count: rows.rows)
        var adamAlpha: [Int: Adam] = [:]
        for (node, values) in m.alpha { adamAlpha[node] = Adam(count: values.count) }
        var adamBeta = m.beta.map { Adam(count: $0.count) }
        var result = OptimizedPass(lows: best, multipliers: m, captured: [:], input: nil)
        for step in 0..<max(1, steps) {
            let pass = substitute(rows, at: t, box: box, nodes: nodes, capturing: capture, multipliers: m)
            let lows = pass.input.map { $0.minimum(over: box, plus: pass.constant) } ?? pass.constant
            var gain = 0.0
            for r in best.indices where lows[r] > best[r] || best[r].isNaN {
                gain += best[r].isFinite ? lows[r] - best[r] : 1
                best[r] = lows[r]
            }
            // Ten passes without a gain of 1e-4 (summed over the rows): converged.
            stale = gain > 1e-4 ? 0 : stale + 1
            result = OptimizedPass(lows: best, multipliers: m, captured: pass.captured, input: pass.input)
            guard step + 1 < steps, stale < 10, !done(best), let a = pass.input else { break }
            // Gradients, row by row, from the relaxed network at the row's minimising corner.
            var gradAlpha: [Int: [Double]] = m.alpha.mapValues { [Double](repeating: 0, count: $0.count) }
            var gradBeta = m.beta.map { [Double](repeating: 0, count: $0.count) }
            var corners = [Double](repeating: 0, count: rows.rows * a.columns)
            for r in 0..<rows.rows {
                let offset = r * a.columns
                for j in 0..<a.columns { corners[offset + j] = a.values[offset + j] >= 0 ? box.lower[j] : box.upper[j] }
            }
            let z = relaxedValues(corners, rows: rows.rows, upTo: t, captured: pass.captured, nodes: nodes, multipliers: m)
            for r in 0..<rows.rows {
                for (relu, pre) in relus {
                    guard let c = pass.captured[relu], gradAlpha[relu] != nil else { continue }
                    let b = nodes[pre], n = b.count
                    for j in 0..<n where b.lower[j] < 0 && b.upper[j] > 0 {
                        let coefficient = c.values[r * n + j]
                        if coefficient > 0 { gradAlpha[relu]![r * n + j] = coefficient * z[pre][r * n + j] }
                    }
                }
                for (k, s) in m.splits.enumerated() where m.holds(k, row: r) {
                    let v = z[s.node][r * nodes[s.node].count + s.neuron]
                    gradBeta[k][r] = s.active ? -v : v
                }
            }
            for (node, g) in gradAlpha {
                adamAlpha[node]!.ascend(&m.alpha[node]!, gradient: g, rate: 0.1, lower: 0, upper: 1)
            }
            for k in gradBeta.indices {
                adamBeta[k].ascend(&m.beta[k], gradient: gradBeta[k], rate: 0.05, lower: 0, upper: .infinity)
            }
        }
        return result
    }

    /// Bounds of every node with the inputs of the ReLUs tightened by alpha-CROWN (the root of
    /// ReLU branch and bound): layer by layer, the unstable neurons' lower and upper bounds are
    /// optimised as rows of ``optimizedLowerBounds(_:at:box:nodes:relus:start:steps:done:)``
    /// over the bounds already tightened before them, intersected with the old ones (both
    /// sound) and clamped to the splits; each ReLU's output bounds follow. Later nodes keep their
    /// old bounds, which stay sound. Nil when some neuron's bounds cross (the sub-domain is
    /// empty). Stops tightening when `deadline` passes. Only the ReLU inputs after node `after`
    /// are tightened (all by default). The neurons of a layer are split among `workers` threads.
    public func optimizedLayerBounds(_ box: Bounds, nodes: [Bounds], relus: [(relu: Int, pre: Int)], splits: [NeuronSplit],
                                     steps: Int, deadline: ContinuousClock.Instant, after: Int = -1, workers: Int = 1) -> OptimizedLayers? {
        var nodes = nodes
        var slopes: [Int: NeuronBoundSlopes] = [:]
        for (relu, pre) in relus.sorted(by: { $0.pre < $1.pre }) where pre > after {
            guard ContinuousClock.now < deadline else { break }
            // The first layer's bounds are exact already (an affine image of the box).
            if isAffineImageOfInput(pre) { continue }
            let b = nodes[pre], n = b.count
            let unstable = (0..<n).filter { b.lower[$0] < 0 && b.upper[$0] > 0 }
            guard !unstable.isEmpty else { continue }
            let k = unstable.count
            let earlier = relus.filter { $0.relu < pre }
            let own = splits.filter { $0.node < pre }
            // The neurons in `workers` parts, each optimised on its own thread (the rows are
            // independent): rows 0..<m are a part's lower bounds, m..<2m its upper ones.
            let size = (k + workers - 1) / max(1, workers)
            let parts = stride(from: 0, to: k, by: max(1, size)).map { Array(unstable[$0..<min($0 + size, k)]) }
            let results = PartResults<OptimizedPass>(count: parts.count)
            let nodesNow = nodes
            runOnThreads(parts.count) { c in
                let part = parts[c], m = part.count
                var rows = LinearRows(zeros: 2 * m, columns: n)
                for (r, j) in part.enumerated() {
                    rows.values[r * n + j] = 1
                    rows.values[(m + r) * n + j] = -1
                }
                let start = ReLUMultipliers(rows: 2 * m, relus: earlier, nodes: nodesNow, splits: own)
                results.set(c, optimizedLowerBounds(rows, at: pre, box: box, nodes: nodesNow, relus: earlier, start: start, steps: steps) { best in
                    (0..<m).allSatisfy { best[$0] >= 0 || best[m + $0] >= 0 }
                })
            }
            var tightened = b
            var lowerRows: [Int] = [], upperRows: [Int] = []
            var offset = 0
            for (c, part) in parts.enumerated() {
                let lows = results.get(c).lows, m = part.count
                for (r, j) in part.enumerated() {
                    tightened.lower[j] = max(b.lower[j], lows[r])
                    tightened.upper[j] = min(b.upper[j], -lows[m + r])
                    lowerRows.append(offset + r)
                    upperRows.append(offset + m + r)
                }
                offset += 2 * m
            }
            // The parts' multipliers as one set: the lower rows of all neurons, then the upper ones.
            let multipliers = ReLUMultipliers.stacking((0..<parts.count).map { results.get($0).multipliers })
                .selecting(lowerRows + upperRows, adding: nil)
            guard Self.clamp(&tightened, splits.filter { $0.node == pre }) else { return nil }
            nodes[pre] = tightened
            nodes[relu] = nodes[relu].intersected(with: network.nodes[relu].layer.propagate([tightened]))
            slopes[pre] = NeuronBoundSlopes(neurons: unstable, multipliers: multipliers)
        }
        return OptimizedLayers(nodes: nodes, slopes: slopes)
    }

    /// The result of ``optimizedLayerBounds(_:nodes:relus:splits:steps:deadline:after:workers:)``: every node's
    /// bounds, and the slopes of the last pass on each tightened node (by node).
    public struct OptimizedLayers: Sendable {
        public var nodes: [Bounds]
        public var slopes: [Int: NeuronBoundSlopes]

        public init(nodes: [Bounds], slopes: [Int: NeuronBoundSlopes]) {
            self.nodes = nodes
            self.slopes = slopes
        }
    }

    /// Every node's value in the relaxed network of each row at that row's point (`x`: rows x
    /// inputs): each unstable ReLU replaced by the line the row's pass used (alpha z where its
    /// coefficient is >= 0, the upper line otherwise). Round-to-nearest: only the gradient's
    /// direction depends on it. Affine layers run as one matrix product for all rows.
    func relaxedValues(_ x: [Double], rows: Int, upTo t: Int, captured: [Int: LinearRows], nodes: [Bounds], multipliers m: ReLUMultipliers) -> [[Double]] {
        var values: [[Double]] = []
        values.reserveCapacity(t + 1)
        for (i, node) in network.nodes.enumerated() where i <= t {
            guard live[i] else { values.append([]); continue }
            let args = node.inputs.map { ref -> [Double] in
                switch ref {
                case .input: return x
                case .node(let j): return values[j]
                }
            }
            if let affine = node.layer as? any AffineLayer {
                values.append(affine.map.applyRows(args[0], count: rows))
                continue
            }
            guard node.layer is ReLU, case .node(let pre) = node.inputs[0], let c = captured[i] else {
                // Any other layer, row by row in float32.
                var out: [Double] = []
                for r in 0..<rows {
                    let rowArgs = args.map { a -> [Float] in
                        let n = a.count / rows
                        return a[(r * n)..<((r + 1) * n)].map(Float.init)
                    }
                    out += node.layer.evaluate(rowArgs).map(Double.init)
                }
                values.append(out)
                continue
            }
            let b = nodes[pre], zs = args[0], n = b.count
            let alpha = m.alpha[i]
            var y = [Double](repeating: 0, count: rows * n)
            for j in 0..<n {
                let l = b.lower[j], u = b.upper[j]
                if u <= 0 { continue }
                if l >= 0 {
                    for r in 0..<rows { y[r * n + j] = zs[r * n + j] }
                    continue
                }
                let s = u / (u - l)
                for r in 0..<rows {
                    let z = zs[r * n + j]
                    y[r * n + j] = c.values[r * n + j] >= 0 ? (alpha?[r * n + j] ?? (u >= -l ? 1 : 0)) * z : s * (z - l)
                }
            }
            // A batch row's own splits make their neurons exact on its domain.
            for (r, j, active) in m.rowSplits(on: pre) { y[r * n + j] = active ? zs[r * n + j] : 0 }
            values.append(y)
        }
        return values
    }
}

/// Adam's moment estimates for one block of parameters (projected ascent).
struct Adam {
    var first: [Double]
    var second: [Double]
    var t = 0

    init(count: Int) {
        first = [Double](repeating: 0, count: count)
        second = first
    }

    mutating func ascend(_ x: inout [Double], gradient g: [Double], rate: Double, lower: Double, upper: Double) {
        t += 1
        let (b1, b2) = (0.9, 0.999)
        let c1 = 1 - pow(b1, Double(t)), c2 = 1 - pow(b2, Double(t))
        for i in x.indices where g[i] != 0 || first[i] != 0 {
            first[i] = b1 * first[i] + (1 - b1) * g[i]
            second[i] = b2 * second[i] + (1 - b2) * g[i] * g[i]
            let step = rate * (first[i] / c1) / ((second[i] / c2).squareRoot() + 1e-8)
            x[i] = min(max(x[i] + step, lower), upper)
        }
    }
}
