import Foundation

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
            let earlier = relus.filter { $0.relu < pre }
            let own = splits.filter { $0.node < pre }
            // The neurons in `workers` parts, each optimised on its own thread (the rows are
            // independent): rows 0..<m are a part's lower bounds, m..<2m its upper ones.
            let parts = contiguousParts(unstable, count: workers)
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
