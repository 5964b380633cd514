/// How bounds are computed.
public enum BoundMethod: String, Sendable, CaseIterable, Codable {
    /// Interval bound propagation: one interval per neuron, layer by layer.
    case ibp
    /// CROWN: backward linear relaxation to the input, intermediate bounds by CROWN as well.
    case crown
    /// CROWN at the output, IBP for intermediate layers.
    case crownIBP = "crown-ibp"
}

/// Sound bounds of every node of a network over an input box, and of linear specifications of
/// its output.
///
/// IBP runs the layers' interval transformers forward. CROWN, for each node that feeds a
/// nonlinear layer, substitutes the layers' backward relaxations from that node to the input
/// (in reverse topological order, summing the rows of nodes read by several consumers) and
/// minimises the resulting linear function over the box; the result is intersected with the
/// IBP bound from the already tightened inputs (both are sound), and only neurons that IBP
/// cannot prove stable are bounded by CROWN when the consumer is a ReLU.
/// `intersectWithIBP: false` keeps CROWN's values as they are, as auto_LiRPA's CROWN does, for
/// comparisons. Proofs/CROWN.md.
public struct BoundAnalysis: Sendable {
    public let network: Network
    let live: [Bool]
    /// Nodes whose bounds are tightened by CROWN: the inputs of nonlinear layers.
    let needsCrown: [Bool]
    /// Whether CROWN intermediate bounds are intersected with IBP's (tighter, equally sound).
    public let intersectWithIBP: Bool
    /// Whether a node's output is read by a ReLU.
    public let feedsReLU: [Bool]
    /// The dense node every pass reaches the input through, whose step is fused with the
    /// minimum over the box (`FirstLayer`; nil when the network has none).
    public let firstLayer: FirstLayer?

    public init(network: Network, intersectWithIBP: Bool = true) {
        self.network = network
        self.intersectWithIBP = intersectWithIBP
        live = network.liveNodes
        var needs = [Bool](repeating: false, count: network.nodes.count)
        for node in network.nodes where node.layer is ReLU || node.layer is Sigmoid || node.layer is Tanh || node.layer is MaxPool {
            for case .node(let j) in node.inputs { needs[j] = true }
        }
        needsCrown = needs
        var relu = [Bool](repeating: false, count: network.nodes.count)
        for node in network.nodes where node.layer is ReLU {
            for case .node(let j) in node.inputs { relu[j] = true }
        }
        feedsReLU = relu
        firstLayer = FirstLayer(network: network)
    }

    func bounds(of ref: ValueRef, box: Bounds, nodes: [Bounds]) -> Bounds {
        switch ref {
        case .input: return box
        case .node(let i): return nodes[i]
        }
    }

    /// Interval bounds of every node (IBP).
    public func intervalBounds(_ box: Bounds) -> [Bounds] {
        var result: [Bounds] = []
        result.reserveCapacity(network.nodes.count)
        for (i, node) in network.nodes.enumerated() {
            guard live[i] else { result.append(Bounds(lower: [], upper: [])); continue }
            result.append(node.layer.propagate(node.inputs.map { bounds(of: $0, box: box, nodes: result) }))
        }
        return result
    }

    /// Bounds of every node with intermediate bounds by `intermediate` (IBP or CROWN).
    ///
    /// - Parameter parent: bounds of every node over a box containing `box` (branch and bound's
    ///   parent box): still sound here, so each node's bounds are intersected with them before
    ///   choosing which neurons need a CROWN pass (a neuron stable on the parent stays stable).
    public func layerBounds(_ box: Bounds, intermediate: BoundMethod, parent: [Bounds]? = nil) -> [Bounds] {
        if intermediate == .ibp && parent == nil { return intervalBounds(box) }
        // Without splits the domain is the whole box, never empty.
        return computeLayerBounds(box, intermediate: intermediate, parent: parent, splits: [:], reuseBefore: 0) ?? []
    }

    /// CROWN bounds of every node over the sub-domain of `box` where each split neuron has its
    /// sign (ReLU branch and bound), or nil when the sub-domain is proved empty.
    ///
    /// A split "neuron k of node i >= 0" (or "<= 0") is applied by clamping node i's bounds to
    /// [max(l, 0), u] (or [l, min(u, 0)]) as soon as they are computed; every later relaxation
    /// then holds on the sub-domain, which is all branch and bound needs (the children's
    /// sub-domains cover the parent's). A node whose lower bound exceeds its upper bound has no
    /// value on the sub-domain: the sub-domain is empty. `parent` holds bounds over a sub-domain
    /// containing this one; nodes before `reuseBefore` (those before the newest split's node)
    /// depend only on splits the parent had, so the parent's bounds are taken as they are.
    /// Proofs/BranchAndBound.md.
    /// `slopes` (by node) are alpha-CROWN slopes for the rows bounding that node's neurons
    /// (``NeuronBoundSlopes``, the root's): such a node is bounded with them instead of CROWN's
    /// default slopes when they cover its unstable neurons.
    /// Past `deadline`, the neurons not yet tightened keep their interval bounds (sound, only
    /// looser), so a search checking its deadline between pieces stops soon after it, even on a
    /// network whose root bounds alone take longer (``tighten(node:bounds:indices:box:nodes:slopes:until:)``).
    public func splitLayerBounds(_ box: Bounds, parent: [Bounds]?, splits: [NeuronSplit], reuseBefore: Int,
                                 slopes: [Int: NeuronBoundSlopes] = [:], until deadline: ContinuousClock.Instant? = nil) -> [Bounds]? {
        var byNode: [Int: [NeuronSplit]] = [:]
        for s in splits { byNode[s.node, default: []].append(s) }
        return computeLayerBounds(box, intermediate: .crown, parent: parent, splits: byNode, reuseBefore: parent == nil ? 0 : reuseBefore,
                                  slopes: slopes, until: deadline)
    }

    func computeLayerBounds(_ box: Bounds, intermediate: BoundMethod, parent: [Bounds]?, splits: [Int: [NeuronSplit]], reuseBefore: Int,
                            slopes: [Int: NeuronBoundSlopes] = [:], until deadline: ContinuousClock.Instant? = nil) -> [Bounds]? {
        var result: [Bounds] = []
        result.reserveCapacity(network.nodes.count)
        for (i, node) in network.nodes.enumerated() {
            guard live[i] else { result.append(Bounds(lower: [], upper: [])); continue }
            if i < reuseBefore, let p = parent { result.append(p[i]); continue }
            let inputs = node.inputs.map { bounds(of: $0, box: box, nodes: result) }
            // The first layer's interval image comes with the box's image its passes use.
            var b = (i == firstLayer?.node ? firstLayer?.intervalBounds(inputs[0]) : nil) ?? node.layer.propagate(inputs)
            if let p = parent?[i], p.count == b.count { b = b.intersected(with: p) }
            let own = splits[i] ?? []
            guard Self.clamp(&b, own) else { return nil }
            let direct = isAffineImageOfInput(i)
            if intermediate != .ibp && needsCrown[i] && !direct {
                let consumerIsReLU = feedsReLU[i]
                // Only neurons that may be unstable need a CROWN bound before a ReLU.
                let candidates = (0..<b.count).filter { !consumerIsReLU || (b.lower[$0] < 0 && b.upper[$0] > 0) }
                if !candidates.isEmpty {
                    b = tighten(node: i, bounds: b, indices: candidates, box: box, nodes: result, slopes: slopes[i], until: deadline)
                    guard Self.clamp(&b, own) else { return nil }
                }
            }
            result.append(b)
        }
        return result
    }

    /// Applies the splits of one node; false when some neuron's bounds cross (empty sub-domain).
    public static func clamp(_ b: inout Bounds, _ splits: [NeuronSplit]) -> Bool {
        for s in splits {
            if s.active { b.lower[s.neuron] = max(b.lower[s.neuron], 0) } else { b.upper[s.neuron] = min(b.upper[s.neuron], 0) }
        }
        for k in 0..<b.count where b.lower[k] > b.upper[k] { return false }
        return true
    }

    /// Whether a node is one affine layer applied to the input (through reshapes only): IBP of
    /// such a node is already as tight as CROWN.
    public func isAffineImageOfInput(_ i: Int) -> Bool {
        let layer = network.nodes[i].layer
        guard layer is any AffineLayer || layer is ScaleShift || layer is Reshape else { return false }
        return network.nodes[i].inputs.allSatisfy { ref in
            switch ref {
            case .input: return true
            case .node(let j):
                var k = j
                while network.nodes[k].layer is Reshape {
                    guard case .node(let up) = network.nodes[k].inputs[0] else { return true }
                    k = up
                }
                return false
            }
        }
    }

    /// ``tighten(node:bounds:indices:box:nodes:slopes:)`` watching a deadline: the neurons are
    /// tightened `deadlineChunk` at a time, and those left when it passes keep the bounds they
    /// came with (each row's pass is its own, so the chunks give the bounds of one pass).
    func tighten(node i: Int, bounds b: Bounds, indices: [Int], box: Bounds, nodes: [Bounds], slopes: NeuronBoundSlopes? = nil,
                 until deadline: ContinuousClock.Instant?) -> Bounds {
        guard let deadline, indices.count > Self.deadlineChunk else { return tighten(node: i, bounds: b, indices: indices, box: box, nodes: nodes, slopes: slopes) }
        var tightened = b
        for start in stride(from: 0, to: indices.count, by: Self.deadlineChunk) {
            if ContinuousClock.now >= deadline { break }
            let chunk = Array(indices[start..<min(start + Self.deadlineChunk, indices.count)])
            tightened = tighten(node: i, bounds: tightened, indices: chunk, box: box, nodes: nodes, slopes: slopes)
        }
        return tightened
    }

    /// Neurons per chunk when a deadline is watched.
    static let deadlineChunk = 256

    /// Tightens the bounds of the given neurons of a node by backward substitution.
    ///
    /// Before a ReLU the upper bounds come first: a neuron proved inactive (u <= 0) has the
    /// relaxation y = 0 whatever its lower bound, so its lower row is never computed (most
    /// neurons IBP leaves unstable turn out inactive: about half the rows on mnist 256x6).
    func tighten(node i: Int, bounds b: Bounds, indices: [Int], box: Bounds, nodes: [Bounds], slopes: NeuronBoundSlopes? = nil) -> Bounds {
        let n = b.count
        var tightened = b
        // Read by ReLUs only, a neuron with u <= 0 is y = 0 whatever u is: upper rows settle
        // as soon as a partial bound proves it (RowSettling).
        let settle = feedsReLU[i] && i != network.output
            && network.nodes.allSatisfy { $0.layer is ReLU || !$0.inputs.contains(.node(i)) }
        let highs = lowerBounds(of: LinearRows.identity(n, sign: -1, selecting: indices), at: i, box: box, nodes: nodes, settlingNonnegative: settle,
                                multipliers: slopes?.rows(indices, upper: true))
        for (k, j) in indices.enumerated() {
            tightened.upper[j] = intersectWithIBP ? min(b.upper[j], -highs[k]) : -highs[k]
        }
        let lowerNeeded = feedsReLU[i] ? indices.filter { tightened.upper[$0] > 0 } : indices
        guard !lowerNeeded.isEmpty else { return tightened }
        let lows = lowerBounds(of: LinearRows.identity(n, sign: 1, selecting: lowerNeeded), at: i, box: box, nodes: nodes,
                               multipliers: slopes?.rows(lowerNeeded, upper: false))
        for (k, j) in lowerNeeded.enumerated() {
            tightened.lower[j] = intersectWithIBP ? max(b.lower[j], lows[k]) : lows[k]
        }
        return tightened
    }

    /// Sound lower bounds of rows . value(node t) over the box, given bounds of all nodes before t.
    ///
    /// - Parameter settlingNonnegative: only whether each bound is >= 0 matters, and the value
    ///   only when it is not: rows whose partial bound is already >= 0 leave the pass early with
    ///   that (sound) bound (`RowSettling`).
    public func lowerBounds(of rows: LinearRows, at t: Int, box: Bounds, nodes: [Bounds], settlingNonnegative: Bool = false,
                            multipliers: ReLUMultipliers? = nil) -> [Double] {
        let settling = settlingNonnegative ? RowSettling(rows: rows.rows, network: network) : nil
        let pass = substitute(rows, at: t, box: box, nodes: nodes, capturing: [], settling: settling, stoppingAt: firstLayer?.node,
                              multipliers: multipliers)
        var lows = pass.input.map { $0.minimum(over: box, plus: pass.constant) } ?? pass.constant
        if let a = pass.stopped, let first = firstLayer {
            // Every remaining row is on the first layer's output: bounded over that layer's input
            // box in one step (`FirstLayer`), or by the layer's own backward step.
            let node = network.nodes[first.node]
            let x = bounds(of: node.inputs[0], box: box, nodes: nodes)
            if let fused = first.lowerBounds(a, box: x, plus: lows) {
                lows = fused
            } else {
                let step = node.layer.backward(a, inputs: [x])
                let constant = zip(lows, step.constant).map { ($0 + $1).nextDown }
                lows = step.inputs[0].map { $0.minimum(over: x, plus: constant) } ?? constant
            }
        }
        return settling?.merged(lows) ?? lows
    }

    /// The backward pass itself: rows . value(node t) >= input . x + constant for every x in the
    /// box, with the rows on the input (nil if they never reach it) and the sound constant.
    public func substitute(_ rows: LinearRows, at t: Int, box: Bounds, nodes: [Bounds]) -> (input: LinearRows?, constant: [Double]) {
        let r = substitute(rows, at: t, box: box, nodes: nodes, capturing: [], settling: nil, stoppingAt: nil)
        return (r.input, r.constant)
    }

    /// The backward pass, also returning the rows reached at each node of `capturing` (the
    /// coefficients on that node's output; branch and bound scores ReLUs with them). With
    /// `settling`, rows a partial bound already settles leave the pass early (``RowSettling``;
    /// not combined with capturing).
    public func substitute(_ rows: LinearRows, at t: Int, box: Bounds, nodes: [Bounds], capturing: Set<Int>)
        -> (input: LinearRows?, constant: [Double], captured: [Int: LinearRows]) {
        let r = substitute(rows, at: t, box: box, nodes: nodes, capturing: capturing, settling: nil, stoppingAt: nil)
        return (r.input, r.constant, r.captured)
    }

    /// The backward pass with alpha-CROWN slopes and beta-CROWN split terms (``ReLUMultipliers``),
    /// capturing the rows reached at the given nodes.
    public func substitute(_ rows: LinearRows, at t: Int, box: Bounds, nodes: [Bounds], capturing: Set<Int>,
                           multipliers: ReLUMultipliers) -> (input: LinearRows?, constant: [Double], captured: [Int: LinearRows]) {
        let r = substitute(rows, at: t, box: box, nodes: nodes, capturing: capturing, settling: nil, stoppingAt: nil,
                           multipliers: multipliers)
        return (r.input, r.constant, r.captured)
    }

    /// The backward pass with every option. With `stoppingAt` (the first layer's node,
    /// `FirstLayer`), the rows reaching that node are returned as `stopped` instead of being
    /// expanded.
    func substitute(_ rows: LinearRows, at t: Int, box: Bounds, nodes: [Bounds], capturing: Set<Int>, settling: RowSettling?,
                    stoppingAt stop: Int?, multipliers: ReLUMultipliers? = nil)
        -> (input: LinearRows?, constant: [Double], captured: [Int: LinearRows], stopped: LinearRows?) {
        var multipliers = multipliers
        var captured: [Int: LinearRows] = [:]
        var pending: [Int: LinearRows] = [t: rows]
        var constant = [Double](repeating: 0, count: rows.rows)
        var onInput: LinearRows? = nil
        for i in stride(from: t, through: 0, by: -1) {
            if let s = settling, s.checkpoints[i], pending[i] != nil {
                let before = s.live
                s.settle(pending: &pending, input: &onInput, constant: &constant, box: box, nodes: nodes)
                // Settled rows leave the pass: their multipliers leave with them.
                if let m = multipliers, s.live.count < before.count {
                    let position = Dictionary(uniqueKeysWithValues: before.enumerated().map { ($1, $0) })
                    multipliers = m.selecting(s.live.map { position[$0]! }, adding: nil)
                }
            }
            guard var a = pending.removeValue(forKey: i) else { continue }
            multipliers?.addSplitTerms(to: &a, node: i)
            if capturing.contains(i) { captured[i] = a }
            if i == stop { return (onInput, constant, captured, a) }
            let node = network.nodes[i]
            let inputBounds = node.inputs.map { bounds(of: $0, box: box, nodes: nodes) }
            let step: BackwardStep
            if let relu = node.layer as? ReLU, let m = multipliers, let slopes = m.alpha[i] {
                // A batch row's own splits make their neurons exact on its domain.
                var exact: [(row: Int, column: Int, identity: Bool)] = []
                if case .node(let pre) = node.inputs[0] { exact = m.rowSplits(on: pre).map { ($0.row, $0.neuron, $0.active) } }
                step = relu.relaxation(inputBounds[0]).backward(a, input: inputBounds[0], rowLowerSlopes: slopes, exact: exact)
            } else {
                step = node.layer.backward(a, inputs: inputBounds)
            }
            for r in 0..<constant.count { constant[r] = (constant[r] + step.constant[r]).nextDown }
            for (k, ref) in node.inputs.enumerated() {
                guard let part = step.inputs[k] else { continue }
                let existing: LinearRows?
                switch ref {
                case .input: existing = onInput
                case .node(let j): existing = pending[j]
                }
                var merged = part
                if var e = existing {
                    let err = e.add(part, magnitude: inputBounds[k].magnitude)
                    for r in 0..<constant.count { constant[r] = (constant[r] - err[r]).nextDown }
                    merged = e
                }
                switch ref {
                case .input: onInput = merged
                case .node(let j): pending[j] = merged
                }
            }
        }
        return (onInput, constant, captured, nil)
    }

    /// Sound lower bounds of rows . output over the box by the given method.
    public func outputLowerBounds(_ rows: LinearRows, box: Bounds, method: BoundMethod) -> [Double] {
        switch method {
        case .ibp:
            // IBP with the specification folded into the output layer (as auto_LiRPA does).
            let nodes = intervalBounds(box)
            let last = network.nodes[network.output]
            let step = last.layer.backward(rows, inputs: last.inputs.map { bounds(of: $0, box: box, nodes: nodes) })
            var result = step.constant
            for (k, ref) in last.inputs.enumerated() {
                guard let part = step.inputs[k] else { continue }
                let low = part.minimum(over: bounds(of: ref, box: box, nodes: nodes), plus: [Double](repeating: 0, count: rows.rows))
                for r in result.indices { result[r] = (result[r] + low[r]).nextDown }
            }
            return result
        case .crown, .crownIBP:
            let nodes = layerBounds(box, intermediate: method == .crown ? .crown : .ibp)
            return lowerBounds(of: rows, at: network.output, box: box, nodes: nodes)
        }
    }

    /// The margin specification for a label: row j is logit_label - logit_j, for j != label.
    public static func marginRows(label: Int, classes: Int) -> LinearRows {
        var rows = LinearRows(zeros: classes - 1, columns: classes)
        var r = 0
        for j in 0..<classes where j != label {
            rows.values[r * classes + label] = 1
            rows.values[r * classes + j] = -1
            r += 1
        }
        return rows
    }
}

/// A branch-and-bound split of a ReLU's input: neuron `neuron` of node `node` is restricted to
/// values >= 0 (`active`) or <= 0 (inactive). The two children of a split cover the parent.
public struct NeuronSplit: Sendable, Hashable {
    public let node: Int
    public let neuron: Int
    public let active: Bool

    public init(node: Int, neuron: Int, active: Bool) {
        self.node = node
        self.neuron = neuron
        self.active = active
    }
}
