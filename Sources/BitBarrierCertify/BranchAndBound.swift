import BitBarrierCore
import BitBarrierData
import BitBarrierLP
import Foundation

/// Complete input-splitting branch and bound for a VNN-LIB property (best for low-dimensional
/// inputs such as ACAS Xu's five).
///
/// Each case's box starts a work list. For a box B, CROWN gives sound lower bounds
/// `lb_k <= min_{x in B} c_k . f(x)` of every constraint of the conjunctions still open; a
/// conjunction is excluded on B when some constraint has `lb_k + d_k > 0` (rounded down), since
/// then `c_k . y + d_k <= 0` fails for every input of B. A box whose conjunctions are all
/// excluded is closed; otherwise its centre and, per open conjunction, the corner minimising a
/// CROWN bound are replayed on the concrete network (and a few sign-gradient steps are taken
/// from that corner), and if no witness appears the box is halved along
/// the input with the largest `width_j * (s_j + 0.3 mean(s))`, `s_j = sum_k |a_kj|`, where `a_k`
/// are the CROWN coefficients on the input of the constraints closest to exclusion (the widest
/// input when they vanish). Intermediate bounds are intersected with the parent box's.
/// Children inherit the exclusions of their parent (a sub-box of an excluded box is excluded).
///
/// Two additions make tight properties tractable (ACAS Xu 3_3 property 2): a conjunction whose
/// constraints no single bound excludes may be excluded by a positive combination of their
/// linear bounds (``combination(_:constants:box:)``, GLPK's weights checked rigorously), and a
/// box with at most `reluSplitLimit` unstable ReLUs is split on one of them rather than on an
/// input (BranchAndBound+ReLUSplits.swift): with every ReLU signed, the network is affine on
/// the sub-domain and the combination decides it exactly.
///
/// The outcome is `proved` only when every box of every case was closed; a box too narrow to
/// split (its halves would not shrink in floating point) makes the outcome `unresolved`.
public struct BranchAndBound: Sendable {
    /// The outcome of a search.
    public enum Outcome: Sendable {
        /// Every box of every case was excluded by sound bounds: the property holds.
        case proved
        /// A replayed counterexample.
        case counterexample(VNNWitness)
        /// The deadline passed with boxes left open.
        case timeout
        /// Boxes could not be split further; neither proved nor refuted.
        case unresolved(String)
    }

    /// Counters of one search.
    public struct Statistics: Sendable {
        public var boxes = 0
        public var maxDepth = 0
    }

    /// A snapshot of a running search, reported about once a second.
    public struct Progress: Sendable {
        /// Boxes (or sub-domains) taken so far.
        public var boxes: Int
        /// Boxes waiting in the work list plus those being processed.
        public var open: Int
        /// The deepest box taken so far.
        public var maxDepth: Int
    }

    public let analysis: BoundAnalysis
    public let spec: VNNLibSpec
    public let falsifier: Falsifier
    /// Gradient steps tried inside every open box (0 for the centre only).
    public var localSteps: Int

    /// Boxes with at most this many unstable ReLUs are split on those instead of on the inputs
    /// (BranchAndBound+ReLUSplits.swift); 0 turns it off.
    public var reluSplitLimit = 24
    /// Whether the network's nonlinearities are all ReLUs (only then a sign pattern makes it affine).
    let reluOnly: Bool

    public init(network: Network, spec: VNNLibSpec, falsifier: Falsifier = Falsifier(), localSteps: Int = 4) {
        self.analysis = BoundAnalysis(network: network)
        self.spec = spec
        self.falsifier = falsifier
        self.localSteps = localSteps
        reluOnly = ReLUBranchAndBound.applies(to: network)
    }

    struct Item: BranchItem {
        var caseIndex: Int
        var lower: [Double]
        var upper: [Double]
        /// Whether each conjunction of the case is still open on this box.
        var open: [Bool]
        var depth: Int
        /// The parent's distance from exclusion, `min over open conjunctions of max_k (lb_k + d_k)`:
        /// the lower, the likelier a counterexample; the work list takes the lowest first.
        var priority: Double = -.infinity
        /// The parent's node bounds (sound on this sub-box too), or nil at the root.
        var nodes: [Bounds]? = nil
        /// The ReLU signs of this sub-domain of the box (none: the whole box).
        var splits: [NeuronSplit] = []
        /// Nodes before this one depend on nothing that changed since the parent's bounds
        /// (the newest split's node; 0 after an input split).
        var reuseBefore = 0
    }

    /// Runs the search with `workers` threads until it ends or `deadline` passes.
    public func run(deadline: ContinuousClock.Instant, workers: Int = 2,
                    progress: (@Sendable (Progress) -> Void)? = nil) -> (Outcome, Statistics) {
        let items = spec.cases.indices.map { ci in
            Item(caseIndex: ci, lower: spec.cases[ci].lower, upper: spec.cases[ci].upper,
                 open: [Bool](repeating: true, count: spec.cases[ci].outputDisjuncts.count), depth: 0)
        }
        return WorkList(items, onProgress: progress).run(workers: workers, deadline: deadline) { item, _ in process(item, until: deadline) }
    }

    /// The constraints of a case's open conjunctions, in order, with their conjunction, and
    /// their coefficient rows on the output (one row each).
    static func openConstraints(_ c: VNNLibCase, open: [Bool], outputs n: Int)
        -> (owners: [(conjunction: Int, constraint: OutputConstraint)], rows: LinearRows) {
        var owners: [(conjunction: Int, constraint: OutputConstraint)] = []
        for (k, conj) in c.outputDisjuncts.enumerated() where open[k] {
            for con in conj { owners.append((k, con)) }
        }
        var rows = LinearRows(zeros: owners.count, columns: n)
        for (r, o) in owners.enumerated() {
            for j in 0..<n { rows.values[r * n + j] = o.constraint.coefficients[j] }
        }
        return (owners, rows)
    }

    /// Bounds one box (or one sub-domain of a box, where some ReLUs have a sign), then closes,
    /// refutes or splits it. Past `deadline` its bounds stay partly interval bounds (sound,
    /// looser: the work list then stops at its next check).
    func process(_ item: Item, until deadline: ContinuousClock.Instant? = nil) -> BranchStep<Item> {
        let c = spec.cases[item.caseIndex]
        var open = item.open
        // Rows of the open conjunctions' constraints, in order.
        let (owners, rows) = Self.openConstraints(c, open: open, outputs: spec.outputCount)
        let box = Bounds(lower: item.lower, upper: item.upper)
        var lows = [Double](repeating: -.infinity, count: owners.count)
        var nodes: [Bounds] = []
        // The open rows' linear lower bounds on the input, and their minima over the box.
        var pass: (input: LinearRows?, constant: [Double])? = nil
        // The splits' constraints as linear lower bounds on the input (each <= 0 on the domain).
        var splitRows = LinearRows(zeros: 0, columns: box.count), splitConstants: [Double] = []
        if !owners.isEmpty {
            // nil: the splits contradict the bounds, the sub-domain is empty.
            guard let bounded = domainBounds(item, box: box, until: deadline, constraints: &splitRows, constants: &splitConstants) else { return .closed }
            nodes = bounded
            let p = analysis.substitute(rows, at: analysis.network.output, box: box, nodes: nodes)
            lows = p.input?.minimum(over: box, plus: p.constant) ?? p.constant
            pass = p
        }
        // The constraint closest to excluding each open conjunction.
        var closest: [Int: Int] = [:]
        var excluded = Set<Int>()
        for (r, o) in owners.enumerated() {
            let v = (lows[r] + o.constraint.constant).nextDown
            if v > 0 { excluded.insert(o.conjunction) }
            if let best = closest[o.conjunction] {
                if v > (lows[best] + owners[best].constraint.constant) { closest[o.conjunction] = r }
            } else {
                closest[o.conjunction] = r
            }
        }
        for k in excluded { open[k] = false }
        if !open.contains(true) { return .closed }
        // A positive combination of a conjunction's linear bounds and the splits' constraints
        // may exclude it where no single bound does; where none can, the LP's point is a
        // candidate.
        var points: [[Double]] = []
        if let pass, let a = pass.input {
            for k in open.indices where open[k] {
                let members = owners.indices.filter { owners[$0].conjunction == k }
                guard members.count > 1 || splitRows.rows > 0 else { continue }
                var g = a.selectingRows(members)
                g.values += splitRows.values
                g.rows += splitRows.rows
                let h = members.map { (pass.constant[$0] + owners[$0].constraint.constant).nextDown } + splitConstants
                switch Self.combination(g, constants: h, box: box) {
                case .excluded: open[k] = false
                case .candidate(let x): points.append(x)
                case .none: break
                }
            }
            if !open.contains(true) { return .closed }
        }
        var priority = Double.infinity
        for (k, r) in closest where open[k] { priority = min(priority, lows[r] + owners[r].constraint.constant) }
        if closest.isEmpty { priority = -.infinity }

        let chosen = closest.filter { open[$0.key] }.map { $0.value }.sorted()
        let coefficients = chosen.isEmpty ? nil : pass?.input?.selectingRows(chosen)
        let conjunctions = chosen.map { owners[$0].conjunction }
        if let w = witness(in: item, open: open, coefficients: coefficients, conjunctions: conjunctions, points: points) { return .found(w) }
        var next = item
        next.open = open
        next.depth += 1
        next.priority = priority
        next.nodes = nodes.isEmpty ? nil : nodes
        // Few unstable ReLUs left: split those (the earliest layer first), the box stays.
        if reluOnly, !nodes.isEmpty, Self.unstableCount(nodes, analysis: analysis) <= reluSplitLimit,
           let split = Self.unstableNeuron(nodes, analysis: analysis) {
            return .split([false, true].map { active in
                var child = next
                child.splits.append(NeuronSplit(node: split.node, neuron: split.neuron, active: active))
                child.reuseBefore = split.node
                return child
            })
        }
        guard let dim = splitDimension(item, coefficients: coefficients) else { return .stuck }
        let mid = item.lower[dim] + 0.5 * (item.upper[dim] - item.lower[dim])
        var left = next, right = next
        left.upper[dim] = mid
        right.lower[dim] = mid
        left.reuseBefore = 0
        right.reuseBefore = 0
        return .split([left, right])
    }

    /// Looks for a witness in an open box: the centre; for each open conjunction, the corner
    /// minimising the CROWN lower bound of its constraint closest to exclusion (row `r` of
    /// `coefficients` belongs to conjunction `conjunctions[r]`); then a few descent steps on each
    /// open conjunction from its corner (from the centre when it has none).
    func witness(in item: Item, open: [Bool], coefficients: LinearRows?, conjunctions: [Int], points: [[Double]] = []) -> VNNWitness? {
        let centre = item.lower.indices.map { 0.5 * (item.lower[$0] + item.upper[$0]) }
        var starts = [Int: [Double]]()
        var candidates = [centre] + points
        if let a = coefficients {
            for r in 0..<a.rows {
                let corner = Self.minimisingCorner(a, rows: r..<(r + 1), lower: item.lower, upper: item.upper)
                candidates.append(corner)
                starts[conjunctions[r]] = corner
            }
        }
        for x in candidates {
            if let w = VNNWitness.replay(real: x, lower: item.lower, upper: item.upper, network: analysis.network, spec: spec,
                                         caseIndex: item.caseIndex) {
                return w
            }
        }
        guard localSteps > 0 else { return nil }
        for k in open.indices where open[k] {
            if let w = falsifier.descend(from: starts[k] ?? centre, lower: item.lower, upper: item.upper, conjunction: k,
                                         network: analysis.network, spec: spec, caseIndex: item.caseIndex,
                                         steps: localSteps) { return w }
        }
        return nil
    }

    /// The corner of [lower, upper] minimising the sum of the given rows of `a` (the centre in
    /// coordinates where that sum is 0): where a linear bound is lowest, a likely witness.
    static func minimisingCorner(_ a: LinearRows, rows: Range<Int>, lower: [Double], upper: [Double]) -> [Double] {
        (0..<a.columns).map { j in
            let g = rows.reduce(0.0) { $0 + a.values[$1 * a.columns + j] }
            return g > 0 ? lower[j] : (g < 0 ? upper[j] : 0.5 * (lower[j] + upper[j]))
        }
    }

    /// The input to halve: the largest `width_j * (s_j + 0.3 mean(s))` with `s_j = sum_k |a_kj|`
    /// (the widest input without coefficients, or when every score is 0); nil when no input's
    /// midpoint lies strictly inside its interval.
    ///
    /// Pure sensitivity (`width_j * s_j`) can split one input forever while the looseness sits
    /// in the relaxation; the share of the mean keeps every input in play (0.3 was best of 0,
    /// 0.3 and 1 on ACAS Xu properties 1-4).
    func splitDimension(_ item: Item, coefficients: LinearRows?) -> Int? {
        var score = [Double](repeating: 1, count: item.lower.count)
        if let a = coefficients {
            var s = [Double](repeating: 0, count: a.columns)
            for r in 0..<a.rows {
                for j in 0..<a.columns { s[j] += abs(a.values[r * a.columns + j]) }
            }
            let mean = s.reduce(0, +) / Double(max(s.count, 1))
            if mean > 0, mean.isFinite { score = s.map { $0 + 0.3 * mean } }
        }
        var dim: Int? = nil
        var best = -1.0
        for j in item.lower.indices {
            let width = item.upper[j] - item.lower[j]
            let mid = item.lower[j] + 0.5 * width
            guard mid > item.lower[j], mid < item.upper[j] else { continue }
            let value = score[j] * width
            if value > best { best = value; dim = j }
        }
        return dim
    }

    /// What a conjunction's linear bounds say about a box.
    enum Combination {
        /// A positive combination of the bounds is > 0 on the whole box (checked rigorously).
        case excluded
        /// The bounds are all <= 0 at this point (by GLPK's solution): a likely counterexample.
        case candidate([Double])
    }

    /// Asks GLPK for the weights of a conjunction's linear bounds `a_k . x + b_k` with the
    /// largest minimum on the box (``ConjunctionLP``) and checks a positive answer in rigorous
    /// arithmetic; nil when neither applies.
    static func combination(_ a: LinearRows, constants b: [Double], box: Bounds) -> Combination? {
        guard let lp = ConjunctionLP.solve(a, constants: b, box: box) else { return nil }
        if lp.value > 0 { return a.combinedMinimum(weights: lp.weights, over: box, plus: b) > 0 ? .excluded : nil }
        return .candidate(lp.point)
    }
}
