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
    /// One leaf of a neuron's split search: its splits beyond the refined domain's, its node
    /// bounds (the domain's, each split neuron clamped to its sign), its sound bound, the
    /// multipliers of its pass (its children's warm start) and the neuron it would be split on.
    struct BoundLeaf {
        var splits: [NeuronSplit]
        var nodes: [Bounds]
        var bound: Double
        var multipliers: ReLUMultipliers
        var branch: (node: Int, neuron: Int)?
    }

    /// One bound to refine: `sign` * z_j of node t, whose lower bound `known` holds already,
    /// with the slopes it came from (the first leaf's warm start).
    struct RefineTarget {
        var neuron: Int
        var sign: Double
        var known: Double
        var start: ReLUMultipliers?
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

    /// Sound lower bounds of the targets' rows (`sign` e_j . value(node t)) over the domain with
    /// bounds `nodes` and `splits`, each by a split search of at most `expansions` splits of the
    /// ReLUs before t; `next` hands out targets (nil: none left), `finished` takes each result
    /// (the target and its bound) and may hand back a follow-up target, run next.
    ///
    /// Each search expands its worst leaf first and stops when that bound reaches 0 (the
    /// neuron is then stable on that side) or after `expansions` splits. Up to `batch` searches
    /// run in lockstep: the new leaves of all of them are bounded in one pass (their rows
    /// stacked, each with its own splits, ``ReLUMultipliers/stacking(_:)``), so the affine
    /// layers run as matrix products instead of one matrix-vector product per leaf. When
    /// `until` passes, the searches still running report what their leaves prove so far (the
    /// minimum over leaves that cover the domain is sound at any point).
    func refinedLowerBounds(at t: Int, box: Bounds, nodes: [Bounds], splits: [NeuronSplit], expansions: Int, steps: Int, batch: Int,
                            until: ContinuousClock.Instant, next: () -> RefineTarget?, finished: (RefineTarget, Double) -> RefineTarget?) {
        let earlier = relus.filter { $0.relu < t }
        let n = nodes[t].count
        var searches: [BoundSearch] = []
        var followUps: [RefineTarget] = []
        // A leaf to bound: the search it belongs to, its splits and nodes, warm start and floor.
        typealias Request = (search: Int, splits: [NeuronSplit], nodes: [Bounds], warm: ReLUMultipliers, floor: Double)
        func finish(_ k: Int) {
            if let more = finished(searches[k].target, searches[k].bound) { followUps.append(more) }
        }
        while true {
            guard ContinuousClock.now < until else {
                for k in searches.indices { finish(k) }
                return
            }
            var requests: [Request] = []
            // Each running search splits its worst leaf, or ends.
            var k = 0
            while k < searches.count {
                var s = searches[k]
                if let w = s.leaves.indices.min(by: { s.leaves[$0].bound < s.leaves[$1].bound }), s.leaves[w].bound < 0,
                   s.expanded < expansions, let (node, neuron) = s.leaves[w].branch {
                    let parent = s.leaves.remove(at: w)
                    s.expanded += 1
                    for active in [true, false] {
                        let split = NeuronSplit(node: node, neuron: neuron, active: active)
                        // The parent's bounds hold on the child (a subset), with the split neuron's
                        // clamped to its sign; the child's pass enforces the split itself (beta).
                        var childNodes = parent.nodes
                        guard BoundAnalysis.clamp(&childNodes[node], [split]) else { continue }
                        requests.append((k, parent.splits + [split], childNodes,
                                         parent.multipliers.selecting([0], adding: split), parent.bound))
                    }
                    searches[k] = s
                    k += 1
                } else {
                    finish(k)
                    searches.remove(at: k)
                    requests = requests.map { r in (r.search > k ? r.search - 1 : r.search, r.splits, r.nodes, r.warm, r.floor) }
                }
            }
            // New searches fill the batch (follow-ups first); each starts with one leaf, the domain.
            while searches.count < batch, let target = followUps.isEmpty ? next() : followUps.removeFirst() {
                let warm = target.start ?? ReLUMultipliers(rows: 1, relus: earlier, nodes: nodes, splits: splits)
                requests.append((searches.count, [], nodes, warm, target.known))
                searches.append(BoundSearch(target: target))
            }
            if requests.isEmpty { return }
            // One pass for every new leaf: row i is request i's target row over its own domain.
            var rows = LinearRows(zeros: requests.count, columns: n)
            for (i, r) in requests.enumerated() {
                let target = searches[r.search].target
                rows.values[i * n + target.neuron] = target.sign
            }
            let start = ReLUMultipliers.stacking(requests.map(\.warm))
            let o = analysis.optimizedLowerBounds(rows, at: t, box: box, nodes: nodes, relus: earlier, start: start, steps: steps) {
                $0.allSatisfy { $0 >= 0 }
            }
            for (i, r) in requests.enumerated() {
                let leaf = BoundLeaf(splits: r.splits, nodes: r.nodes, bound: max(r.floor, o.lows[i]), multipliers: o.multipliers.row(i),
                                     branch: branchingNeuron(row: i, captured: o.captured, nodes: r.nodes, before: t))
                searches[r.search].leaves.append(leaf)
            }
        }
    }

    /// The ReLUs whose inputs ``refineLayer`` may refine, in order: all but those whose input is
    /// an affine image of the box (its bounds are exact already).
    var refinableReLUs: [(relu: Int, pre: Int)] {
        relus.sorted { $0.pre < $1.pre }.filter { !analysis.isAffineImageOfInput($0.pre) }
    }

    /// The root's node bounds with the unstable neurons of one ReLU's input refined by
    /// ``refinedLowerBounds(at:box:nodes:splits:expansions:steps:batch:until:next:finished:)``,
    /// lower bounds first, the widest (min(u, -l)) first, on `workers` threads (sharing one
    /// queue of neurons), an upper bound for each neuron not proved active, and the later nodes re-tightened by alpha-CROWN afterwards; nil when the domain is proved
    /// empty. Stops refining when `until` passes (what is done stays).
    func refineLayer(_ relu: Int, pre: Int, box: Bounds, nodes: [Bounds], splits: [NeuronSplit], slopes: [Int: NeuronBoundSlopes],
                     expansions: Int, workers: Int, until: ContinuousClock.Instant, deadline: ContinuousClock.Instant) -> BoundAnalysis.OptimizedLayers? {
        var current = BoundAnalysis.OptimizedLayers(nodes: nodes, slopes: slopes)
        let b = current.nodes[pre], n = b.count
        let unstable = (0..<n).filter { b.lower[$0] < 0 && b.upper[$0] > 0 }
            .sorted { min(b.upper[$0], -b.lower[$0]) > min(b.upper[$1], -b.lower[$1]) }
        guard !unstable.isEmpty else { return current }
        let results = RefinedBounds(count: unstable.count)
        let stored = slopes[pre]
        let queue = TargetQueue(count: unstable.count)
        DispatchQueue.concurrentPerform(iterations: max(1, workers)) { _ in
            // Lower bounds first; a neuron whose lower bound stays below 0 gets its upper bound next.
            refinedLowerBounds(at: pre, box: box, nodes: nodes, splits: splits, expansions: expansions, steps: refineSteps,
                               batch: refineBatch, until: until, next: {
                queue.next().map { k in
                    let j = unstable[k]
                    return RefineTarget(neuron: j, sign: 1, known: b.lower[j], start: stored?.rows([j], upper: false))
                }
            }, finished: { target, bound in
                let k = unstable.firstIndex(of: target.neuron)!
                guard target.sign > 0 else {
                    results.set(k, high: -bound)
                    return nil
                }
                results.set(k, low: bound)
                guard bound < 0 else { return nil }
                let j = target.neuron
                return RefineTarget(neuron: j, sign: -1, known: -b.upper[j], start: stored?.rows([j], upper: true))
            })
        }
        var tightened = b
        for (k, j) in unstable.enumerated() {
            let (low, high) = results.get(k)
            tightened.lower[j] = max(b.lower[j], low)
            tightened.upper[j] = min(b.upper[j], high)
        }
        guard BoundAnalysis.clamp(&tightened, splits.filter { $0.node == pre }) else { return nil }
        current.nodes[pre] = tightened
        current.nodes[relu] = current.nodes[relu].intersected(with: analysis.network.nodes[relu].layer.propagate([tightened]))
        // The later layers see the tighter bounds.
        guard let again = analysis.optimizedLayerBounds(box, nodes: current.nodes, relus: relus, splits: splits,
                                                        steps: rootLayerSteps, deadline: deadline, after: pre) else { return nil }
        current.nodes = again.nodes
        for (node, s) in again.slopes { current.slopes[node] = s }
        return current
    }
}

/// Per-neuron results of the refinement workers (each bound written by one worker).
final class RefinedBounds: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [(Double, Double)]

    init(count: Int) {
        values = [(Double, Double)](repeating: (-.infinity, .infinity), count: count)
    }

    func set(_ k: Int, low: Double) {
        lock.withLock { values[k].0 = low }
    }

    func set(_ k: Int, high: Double) {
        lock.withLock { values[k].1 = high }
    }

    func get(_ k: Int) -> (Double, Double) {
        lock.withLock { values[k] }
    }
}

/// Hands out the indices 0..<count once each, to any number of workers.
final class TargetQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var position = 0
    private let count: Int

    init(count: Int) {
        self.count = count
    }

    func next() -> Int? {
        lock.withLock {
            guard position < count else { return nil }
            position += 1
            return position - 1
        }
    }
}
