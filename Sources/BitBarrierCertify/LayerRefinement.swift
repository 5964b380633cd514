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
/// expansions. Proofs/BranchAndBound.md.
extension ReLUBranchAndBound {
    struct BoundLeaf {
        var splits: [NeuronSplit]
        var nodes: [Bounds]
        var bound: Double
        var multipliers: ReLUMultipliers
        var captured: [Int: LinearRows]
    }

    /// A sound lower bound of `row . value(node t)` over the domain with bounds `nodes` and
    /// `splits` (one row), by at most `expansions` splits of the ReLUs before t; +infinity when
    /// every leaf is empty (so is the domain). `known` is a sound bound already known on the
    /// domain and `start` the slopes it came from (the root's: the first leaf starts there).
    func refinedLowerBound(_ row: LinearRows, at t: Int, box: Bounds, nodes: [Bounds], splits: [NeuronSplit], known: Double, start: ReLUMultipliers?,
                           expansions: Int, steps: Int) -> Double {
        let earlier = relus.filter { $0.relu < t }
        func leaf(_ nodes: [Bounds], _ splits: [NeuronSplit], warm: ReLUMultipliers?, floor: Double) -> BoundLeaf {
            let start = warm ?? ReLUMultipliers(rows: 1, relus: earlier, nodes: nodes, splits: splits)
            let o = analysis.optimizedLowerBounds(row, at: t, box: box, nodes: nodes, relus: earlier, start: start, steps: steps) { $0[0] >= 0 }
            return BoundLeaf(splits: splits, nodes: nodes, bound: max(floor, o.lows[0]), multipliers: o.multipliers, captured: o.captured)
        }
        var leaves = [leaf(nodes, splits, warm: start, floor: known)]
        for _ in 0..<expansions {
            guard let w = leaves.indices.min(by: { leaves[$0].bound < leaves[$1].bound }), leaves[w].bound < 0 else { break }
            let parent = leaves[w]
            guard let (node, neuron) = branchingNeuron(row: 0, captured: parent.captured, nodes: parent.nodes, before: t) else { break }
            leaves.remove(at: w)
            for active in [true, false] {
                let split = NeuronSplit(node: node, neuron: neuron, active: active)
                // The parent's bounds hold on the child (a subset), with the split neuron's
                // clamped to its sign; the leaf's pass enforces the split itself (beta).
                var childNodes = parent.nodes
                guard BoundAnalysis.clamp(&childNodes[node], [split]) else { continue }
                leaves.append(leaf(childNodes, parent.splits + [split], warm: parent.multipliers.selecting([0], adding: split), floor: parent.bound))
            }
        }
        return leaves.map(\.bound).min() ?? .infinity
    }

    /// The ReLUs whose inputs ``refineLayer`` may refine, in order: all but those whose input is
    /// an affine image of the box (its bounds are exact already).
    var refinableReLUs: [(relu: Int, pre: Int)] {
        relus.sorted { $0.pre < $1.pre }.filter { !analysis.isAffineImageOfInput($0.pre) }
    }

    /// The root's node bounds with the unstable neurons of one ReLU's input refined by
    /// ``refinedLowerBound``, both sides, the widest (min(u, -l)) first, on `workers` threads,
    /// and the later nodes re-tightened by alpha-CROWN afterwards; nil when the domain is proved
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
        DispatchQueue.concurrentPerform(iterations: max(1, workers)) { worker in
            for k in stride(from: worker, to: unstable.count, by: max(1, workers)) {
                guard ContinuousClock.now < until else { return }
                let j = unstable[k]
                var rows = LinearRows(zeros: 1, columns: n)
                rows.values[j] = 1
                let low = refinedLowerBound(rows, at: pre, box: box, nodes: nodes, splits: splits,
                                            known: b.lower[j], start: stored?.rows([j], upper: false),
                                            expansions: expansions, steps: refineSteps)
                var high = Double.infinity
                if low < 0 {
                    rows.values[j] = -1
                    high = -refinedLowerBound(rows, at: pre, box: box, nodes: nodes, splits: splits,
                                              known: -b.upper[j], start: stored?.rows([j], upper: true),
                                              expansions: expansions, steps: refineSteps)
                }
                results.set(k, low: low, high: high)
            }
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

/// Per-neuron results of the refinement workers (each index written by one worker).
final class RefinedBounds: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [(Double, Double)]

    init(count: Int) {
        values = [(Double, Double)](repeating: (-.infinity, .infinity), count: count)
    }

    func set(_ k: Int, low: Double, high: Double) {
        lock.withLock { values[k] = (low, high) }
    }

    func get(_ k: Int) -> (Double, Double) {
        lock.withLock { values[k] }
    }
}
