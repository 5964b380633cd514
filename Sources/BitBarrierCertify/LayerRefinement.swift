import BitBarrierCore
import Foundation

/// Intermediate bounds refined by a small ReLU-splitting search per neuron, at the root of ReLU
/// branch and bound (the role MILP refinement plays in alpha, beta-CROWN's `bab-refine`).
///
/// The lower bound of one neuron z_j of node t over the root domain is the minimum, over the
/// leaves of a search that splits the ReLUs before t, of each leaf's alpha, beta-CROWN bound:
/// the leaves cover the domain (each split's two children cover their parent) and a leaf whose
/// bounds cross is empty, so that minimum is a sound bound. A child also keeps its parent's
/// bound (its domain is a subset), and its parent's node bounds with the split neuron's clamped
/// to its sign. The search expands the worst leaf first and stops when that
/// bound reaches 0 (the neuron is then stable on that side) or after a fixed number of
/// expansions; several searches run in lockstep, their new leaves bounded in one batched pass.
/// Proofs/BranchAndBound.md.
extension ReLUBranchAndBound {
    /// One leaf of a neuron's split search: its node bounds (the domain's, each split neuron
    /// clamped to its sign), its sound bound, the multipliers of its pass (its splits, and its
    /// children's warm start) and the neuron it would be split on (nil once its bound reaches 0).
    struct BoundLeaf {
        var nodes: [Bounds]
        var bound: Double
        var multipliers: ReLUMultipliers
        var branch: (node: Int, neuron: Int)?
    }

    /// One bound to refine: the lower bound of `row . value(node t)`, of which `known` holds
    /// already, with the slopes `known` came from (the first leaf's warm start); `tag` is the
    /// caller's.
    struct RefineTarget {
        var row: [Double]
        var known: Double
        var start: ReLUMultipliers?
        var tag: Int
    }

    /// A split search in progress: its leaves and how many splits it has made.
    struct BoundSearch {
        var target: RefineTarget
        var leaves: [BoundLeaf] = []
        var expanded = 0

        /// The search's sound lower bound so far: the minimum over its leaves (+infinity when
        /// every leaf is empty, and so is the domain).
        var bound: Double { leaves.map(\.bound).min() ?? .infinity }
    }

    /// Sound lower bounds of the targets' rows (`row . value(node t)`) over the domain with
    /// bounds `nodes` and `splits`, each by a split search of at most `expansions` splits of the
    /// ReLUs before t; `next` hands out targets (nil: none left), `finished` takes each result
    /// (the target and its bound) and may hand back a follow-up target, run next.
    ///
    /// Each search expands its worst leaf first and stops when that bound reaches 0, when that leaf cannot be split (no unstable neuron left before t), or after
    /// `expansions` splits. Up to `batch` searches per worker run in lockstep: the new leaves of
    /// all of them are bounded in one pass per worker (their rows stacked, each with its own
    /// splits, ``ReLUMultipliers/stacking(_:)``), so the affine layers run as matrix products
    /// instead of one matrix-vector product per leaf. With fewer searches left than that, each
    /// splits several of its worst leaves at once, to keep the passes full. When `until`
    /// passes, the searches still running report what their leaves prove so far (the minimum
    /// over leaves that cover the domain is sound at any point).
    func refinedLowerBounds(at t: Int, box: Bounds, nodes: [Bounds], splits: [NeuronSplit], expansions: Int, steps: Int,
                            batch: Int, workers: Int, until: ContinuousClock.Instant,
                            next: () -> RefineTarget?, finished: (RefineTarget, Double) -> RefineTarget?) {
        let earlier = relus.filter { $0.relu < t }
        let n = nodes[t].count
        let workers = max(1, workers), capacity = max(1, batch) * workers
        var searches: [BoundSearch] = []
        var followUps: [RefineTarget] = []
        // A leaf to bound: the search it belongs to, its nodes, warm start and floor.
        typealias Request = (search: Int, nodes: [Bounds], warm: ReLUMultipliers, floor: Double)
        func finish(_ k: Int) {
            if let more = finished(searches[k].target, searches[k].bound) { followUps.append(more) }
        }
        while true {
            guard ContinuousClock.now < until else {
                for k in searches.indices { finish(k) }
                return
            }
            var requests: [Request] = []
            // Each running search splits its `width` worst leaves, or ends.
            let width = max(1, capacity / max(1, searches.count))
            var k = 0
            while k < searches.count {
                var s = searches[k]
                var expanding: [BoundLeaf] = []
                while expanding.count < width, s.expanded < expansions,
                      let w = s.leaves.indices.min(by: { s.leaves[$0].bound < s.leaves[$1].bound }), s.leaves[w].bound < 0,
                      s.leaves[w].branch != nil {
                    expanding.append(s.leaves.remove(at: w))
                    s.expanded += 1
                }
                guard !expanding.isEmpty else {
                    finish(k)
                    searches.remove(at: k)
                    continue
                }
                for parent in expanding {
                    let (node, neuron) = parent.branch!
                    for active in [true, false] {
                        let split = NeuronSplit(node: node, neuron: neuron, active: active)
                        // The parent's bounds hold on the child (a subset), with the split neuron's
                        // clamped to its sign; the child's pass enforces the split itself (beta).
                        var childNodes = parent.nodes
                        guard BoundAnalysis.clamp(&childNodes[node], [split]) else { continue }
                        requests.append((k, childNodes, parent.multipliers.selecting([0], adding: split), parent.bound))
                    }
                }
                searches[k] = s
                k += 1
            }
            // New searches fill the batch (follow-ups first); each starts with one leaf, the domain.
            while searches.count < capacity, let target = followUps.isEmpty ? next() : followUps.removeFirst() {
                let warm = target.start ?? ReLUMultipliers(rows: 1, relus: earlier, nodes: nodes, splits: splits)
                requests.append((searches.count, nodes, warm, target.known))
                searches.append(BoundSearch(target: target))
            }
            if requests.isEmpty { return }
            // One pass per worker over its share of the new leaves: row i of a pass is its
            // request i's target row over that request's own domain.
            let chunks = contiguousParts(requests, count: workers)
            let targets = searches.map(\.target)
            let leaves = PartResults<[BoundLeaf]>(count: chunks.count)
            runOnThreads(chunks.count) { c in
                let part = chunks[c]
                let rows = LinearRows(rows: part.count, columns: n, values: part.flatMap { targets[$0.search].row })
                let o = analysis.optimizedLowerBounds(rows, at: t, box: box, nodes: nodes, relus: earlier,
                                                      start: ReLUMultipliers.stacking(part.map(\.warm)), steps: steps) {
                    $0.allSatisfy { $0 >= 0 }
                }
                leaves.set(c, part.enumerated().map { i, r in
                    // A leaf whose bound reached 0 is never split: no branching score for it.
                    let bound = max(r.floor, o.lows[i])
                    return BoundLeaf(nodes: r.nodes, bound: bound, multipliers: o.multipliers.row(i),
                                     branch: bound < 0 ? branchingNeuron(row: i, captured: o.captured, nodes: r.nodes, before: t) : nil)
                })
            }
            for (c, part) in chunks.enumerated() {
                for (r, leaf) in zip(part, leaves.get(c)) { searches[r.search].leaves.append(leaf) }
            }
        }
    }

    /// The ReLUs whose inputs ``refineLayer`` may refine, in order: all but those whose input is
    /// an affine image of the box (its bounds are exact already).
    var refinableReLUs: [(relu: Int, pre: Int)] {
        relus.sorted { $0.pre < $1.pre }.filter { !analysis.isAffineImageOfInput($0.pre) }
    }

    /// The root's node bounds with the unstable neurons of one ReLU's input refined by
    /// ``refinedLowerBounds(at:box:nodes:splits:expansions:steps:batch:workers:until:next:finished:)``
    /// (the widest, min(u, -l), first; each neuron's lower bound, then its upper bound unless
    /// that proves it active), and the later nodes re-tightened by alpha-CROWN afterwards; nil
    /// when the domain is proved empty. Stops refining when `until` passes (what is done stays).
    func refineLayer(_ relu: Int, pre: Int, box: Bounds, nodes: [Bounds], splits: [NeuronSplit], slopes: [Int: NeuronBoundSlopes],
                     expansions: Int, workers: Int, until: ContinuousClock.Instant, deadline: ContinuousClock.Instant) -> BoundAnalysis.OptimizedLayers? {
        var current = BoundAnalysis.OptimizedLayers(nodes: nodes, slopes: slopes)
        let b = current.nodes[pre], n = b.count
        let unstable = (0..<n).filter { b.lower[$0] < 0 && b.upper[$0] > 0 }
            .sorted { min(b.upper[$0], -b.lower[$0]) > min(b.upper[$1], -b.lower[$1]) }
        guard !unstable.isEmpty else { return current }
        let stored = slopes[pre]
        // Tag 2k: neuron unstable[k]'s lower bound (row +e_j); 2k + 1: its upper bound (-e_j).
        func target(_ k: Int, upper: Bool) -> RefineTarget {
            let j = unstable[k]
            var row = [Double](repeating: 0, count: n)
            row[j] = upper ? -1 : 1
            return RefineTarget(row: row, known: upper ? -b.upper[j] : b.lower[j],
                                start: stored?.rows([j], upper: upper), tag: 2 * k + (upper ? 1 : 0))
        }
        // Lower bounds first; a neuron whose lower bound stays below 0 gets its upper bound next.
        var lows = [Double](repeating: -.infinity, count: unstable.count)
        var highs = [Double](repeating: .infinity, count: unstable.count)
        var started = 0
        refinedLowerBounds(at: pre, box: box, nodes: nodes, splits: splits, expansions: expansions, steps: refineSteps,
                           batch: refineBatch, workers: workers, until: until, next: {
            guard started < unstable.count else { return nil }
            started += 1
            return target(started - 1, upper: false)
        }, finished: { t, bound in
            let k = t.tag / 2
            guard t.tag % 2 == 0 else {
                highs[k] = -bound
                return nil
            }
            lows[k] = bound
            return bound < 0 ? target(k, upper: true) : nil
        })
        var tightened = b
        for (k, j) in unstable.enumerated() {
            tightened.lower[j] = max(b.lower[j], lows[k])
            tightened.upper[j] = min(b.upper[j], highs[k])
        }
        guard BoundAnalysis.clamp(&tightened, splits.filter { $0.node == pre }) else { return nil }
        current.nodes[pre] = tightened
        current.nodes[relu] = current.nodes[relu].intersected(with: analysis.network.nodes[relu].layer.propagate([tightened]))
        // The later layers see the tighter bounds.
        guard let again = analysis.optimizedLayerBounds(box, nodes: current.nodes, relus: relus, splits: splits,
                                                        steps: rootLayerSteps, deadline: deadline, after: pre, workers: workers) else { return nil }
        current.nodes = again.nodes
        for (node, s) in again.slopes { current.slopes[node] = s }
        return current
    }
}
