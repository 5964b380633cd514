import BitBarrierCore
import BitBarrierData
import BitBarrierLP
import Foundation

/// Complete ReLU-splitting branch and bound for a VNN-LIB property (for inputs too many to
/// split, such as MNIST's 784).
///
/// A sub-domain is an input box together with a sign for some ReLU inputs ("neuron k of node i
/// is >= 0" or "<= 0"). Its bounds come from ``BoundAnalysis/splitLayerBounds(_:parent:splits:reuseBefore:)``:
/// CROWN with each split neuron's bounds clamped to its sign, so split neurons are stable and
/// every later layer is re-bounded on the sub-domain; a sub-domain whose clamped bounds cross
/// is empty and closed. A conjunction of the property is excluded when some constraint's sound
/// lower bound `lb_k + d_k` is > 0 (rounded down), as in input splitting.
///
/// An open sub-domain is split on the unstable neuron with the largest relaxation loss in the
/// bound of its worst constraint (BaBSR's intercept score: with `a` the backward coefficient
/// on the ReLU's output, `-a * u * (-l) / (u - l)` when the upper line is used, `a > 0` counting
/// a quarter of `a * min(u, -l)`, scored on the optimised pass's rows). Before splitting, a
/// sub-domain CROWN leaves open is bounded again by alpha, beta-CROWN
/// (``BoundAnalysis/optimizedLowerBounds(_:at:box:nodes:relus:start:steps:done:)``: each row's
/// ReLU lower slopes and split multipliers raised by gradient ascent, warm-started from the
/// parent's); at the root every layer is tightened that way first
/// (``BoundAnalysis/optimizedLayerBounds(_:nodes:relus:splits:steps:deadline:after:workers:)``), and the
/// sub-domains inherit it, re-bounding their intermediate layers with the root's slopes. A root
/// still open is then refined layer by layer (``refineLayer(_:pre:box:nodes:splits:slopes:expansions:workers:until:deadline:)``:
/// a small split search per unstable neuron, the role MILP refinement plays in alpha,
/// beta-CROWN's `bab-refine`) and bounded again, for at most `refineShare` of the time. With
/// `useLP`, or when no unstable neuron is left (where the LP is exact), the sub-domain is then
/// bounded by LP (``SubdomainLP``: the triangle relaxation with
/// the clamped bounds as variable bounds, so the splits are constraints; warm-started from the
/// parent's basis; made safe through the dual by ``SafeBound``; an infeasible LP closes the
/// domain only when certified). A leaf the LP does not exclude is unresolved. At every
/// sub-domain the corner of the box minimising the worst constraint's linear bound and the LP
/// optimum's input are replayed on the concrete network, and two short descents run (from the
/// LP optimum and from a random point; at most `attackShare` of the time), so the attack goes
/// on while the proof does.
///
/// `proved` only when every sub-domain of every case was closed. Proofs/BranchAndBound.md.
public struct ReLUBranchAndBound: Sendable {
    public let analysis: BoundAnalysis
    public let spec: VNNLibSpec
    /// (ReLU node, its input node) for every ReLU whose input is a node.
    let relus: [(relu: Int, pre: Int)]
    /// The ReLU nodes, whose backward rows each pass captures for branching.
    let reluNodes: Set<Int>
    /// Time limit of one LP, seconds.
    public var lpTimeLimit: Double = 10
    /// Whether every sub-domain left open is bounded by LP before it is split (leaves, with no
    /// unstable neuron left, always are).
    public var useLP = false
    /// Passes of alpha, beta-CROWN optimisation on a sub-domain CROWN leaves open (0: none), and
    /// at the root.
    public var optimizationSteps = 40
    public var rootOptimizationSteps = 100
    /// Passes of alpha-CROWN on each layer's unstable neurons at the root (0: none).
    public var rootLayerSteps = 20
    /// The optimisation stops once the worst open constraint, gaining at its rate over this many
    /// passes, could not reach 0 within the remaining ones (0: never).
    public var hopelessAfter = 5
    /// The share of the time left that a root left open may spend refining its intermediate
    /// bounds by a small split search per neuron (``refineLayer(_:pre:box:nodes:splits:slopes:expansions:workers:until:deadline:)``;
    /// 0: never), with at most `refineExpansions` splits per bound and `refineSteps`
    /// optimisation passes per leaf; `refineRounds` rounds over the layers, each round's
    /// searches four times as large as the last's. On mnist_fc the refinement did more for the
    /// root than the search given the same time (256x6 needs most of a minute for one round).
    /// 80%, as alpha, beta-CROWN gives its MILP refinement: no instance solved at 60% took
    /// longer than 60% of its time, and 256x6 prop 13 at 0.05 needs about 170 s of 300.
    public var refineShare = 0.8
    public var refineExpansions = 24
    public var refineRounds = 3
    public var refineSteps = 10
    /// How many neurons' split searches run in lockstep, their leaves bounded in one pass.
    public var refineBatch = 16

    /// Runs descents beside the bounds (``Falsifier/descend``; steps 0 turns them off).
    public var falsifier: Falsifier
    /// The largest share of the workers' time the descents beside the bounds may take: a
    /// sub-domain is attacked only while they have used less (1: every sub-domain). Unbounded,
    /// they took half of the search's time on mnist_fc, where every `sat` falls to the
    /// falsifier before the search starts.
    public var attackShare = 0.1

    public init(network: Network, spec: VNNLibSpec, falsifier: Falsifier = Falsifier()) {
        analysis = BoundAnalysis(network: network)
        self.spec = spec
        self.falsifier = falsifier
        var pairs: [(Int, Int)] = []
        for (i, node) in network.nodes.enumerated() where node.layer is ReLU {
            if case .node(let j) = node.inputs[0] { pairs.append((i, j)) }
        }
        relus = pairs
        reluNodes = Set(pairs.map(\.0))
    }

    /// Whether the network's nonlinearities are all ReLUs fed by nodes (what this search splits):
    /// anything else (Sigmoid, MaxPool, quantizers) would stay relaxed and the search could not
    /// become exact.
    public static func applies(to network: Network) -> Bool {
        network.nodes.allSatisfy { node in
            switch node.layer {
            case is ReLU: if case .node = node.inputs[0] { return true } else { return false }
            case is any AffineLayer, is ScaleShift, is Reshape, is Sum, is Concat: return true
            default: return false
            }
        }
    }

    struct Domain: BranchItem {
        var caseIndex: Int
        var open: [Bool]
        var splits: [NeuronSplit]
        /// The parent's node bounds (sound on this sub-domain), nil at the root.
        var nodes: [Bounds]?
        /// The newest split's node: bounds before it are the parent's.
        var changedFrom: Int
        var depth: Int
        var priority: Double
        /// The parent's final LP basis (the warm start) and the constraint it was optimal for
        /// (conjunction, constraint), nil before any LP.
        var basis: (GLPKProblem.Basis, Int, Int)? = nil
        /// The parent's optimised multipliers (for this domain's splits) and the constraint
        /// each of their rows belongs to (``constraintKeys``), nil before any optimisation.
        var multipliers: (ReLUMultipliers, [Int])? = nil
        /// The root's alpha-CROWN slopes for the intermediate layers' bounds (by node).
        var slopes: [Int: NeuronBoundSlopes] = [:]
        /// How many layer refinements (``refineLayer``, counted over the rounds) the root had, and
        /// until when the refinement may run (set when it starts).
        var refinedLayers = 0
        var refineUntil: ContinuousClock.Instant? = nil
    }

    /// Each owner's index within its conjunction (owners come conjunction by conjunction, in order).
    static func positions(_ owners: [(conjunction: Int, constraint: OutputConstraint)]) -> [Int] {
        var position = [Int](repeating: 0, count: owners.count)
        for r in owners.indices where r > 0 && owners[r].conjunction == owners[r - 1].conjunction { position[r] = position[r - 1] + 1 }
        return position
    }

    /// Each open constraint's index in its case's list of constraints (all conjunctions in order).
    static func constraintKeys(_ c: VNNLibCase, owners: [(conjunction: Int, constraint: OutputConstraint)]) -> [Int] {
        var offset = [Int](repeating: 0, count: c.outputDisjuncts.count + 1)
        for (k, conj) in c.outputDisjuncts.enumerated() { offset[k + 1] = offset[k] + conj.count }
        return zip(owners, positions(owners)).map { offset[$0.conjunction] + $1 }
    }

    /// Runs the search with `workers` threads until it ends or `deadline` passes.
    public func run(deadline: ContinuousClock.Instant, workers: Int = 2,
                    progress: (@Sendable (BranchAndBound.Progress) -> Void)? = nil) -> (BranchAndBound.Outcome, BranchAndBound.Statistics) {
        let rootBounds = spec.cases.map { c in
            analysis.splitLayerBounds(Bounds(lower: c.lower, upper: c.upper), parent: nil, splits: [], reuseBefore: 0)
        }
        // A case without root bounds has an empty box: nothing to prove there.
        let roots = spec.cases.indices.compactMap { ci in
            rootBounds[ci].map { nodes in
                Domain(caseIndex: ci, open: [Bool](repeating: true, count: spec.cases[ci].outputDisjuncts.count),
                       splits: [], nodes: nodes, changedFrom: nodes.count, depth: 0, priority: -.infinity)
            }
        }
        let pool = LPPool(workers: max(1, workers))
        let share = TimeShare(fraction: attackShare, workers: max(1, workers))
        return WorkList(roots, onProgress: progress).run(workers: workers, deadline: deadline, process: { domain, worker in
            process(domain, deadline: deadline, workers: max(1, workers), attackShare: share) { ci in
                pool.program(worker: worker, caseIndex: ci) {
                    guard let root = rootBounds[ci] else { return nil }
                    let c = spec.cases[ci]
                    return try? SubdomainLP(network: analysis.network, box: Bounds(lower: c.lower, upper: c.upper), rootBounds: root)
                }
            }
        }, finished: { worker in pool.release(worker: worker) })
    }

    /// Bounds one sub-domain, then closes, refutes or splits it; `lp` gives the worker's LP of a
    /// case (nil without LP). `workers` is the search's thread count: the root's refinement
    /// uses them all (the other workers have nothing to take meanwhile).
    func process(_ d: Domain, deadline: ContinuousClock.Instant, workers: Int, attackShare: TimeShare, lp: (Int) -> SubdomainLP?) -> BranchStep<Domain> {
        let c = spec.cases[d.caseIndex]
        let box = Bounds(lower: c.lower, upper: c.upper)
        guard var nodes = analysis.splitLayerBounds(box, parent: d.nodes, splits: d.splits, reuseBefore: d.changedFrom, slopes: d.slopes) else {
            return .closed
        }
        var open = d.open
        let (owners, rows) = BranchAndBound.openConstraints(c, open: open, outputs: spec.outputCount)
        guard !owners.isEmpty else { return .closed }
        let steps = d.depth == 0 ? rootOptimizationSteps : optimizationSteps
        let keys = Self.constraintKeys(c, owners: owners)
        // The parent's multipliers for these rows (the optimiser's warm start).
        let warm = d.multipliers.flatMap { parent, parentKeys -> ReLUMultipliers? in
            let from = keys.compactMap { parentKeys.firstIndex(of: $0) }
            return from.count == keys.count ? parent.selecting(from, adding: nil) : nil
        }
        // Plain CROWN first (easy roots close before any optimisation), unless the optimiser's
        // first pass, from the parent's multipliers, is going to bound the rows anyway.
        var lows = [Double](repeating: -.infinity, count: owners.count)
        // The rows on the input and at the ReLUs of the pass whose bounds are kept (the corner
        // witness and the branching score use them).
        var input: LinearRows? = nil
        var captured: [Int: LinearRows] = [:]
        var (excluded, worst) = (Set<Int>(), 0)
        if warm == nil || steps == 0 {
            let pass = analysis.substitute(rows, at: analysis.network.output, box: box, nodes: nodes, capturing: reluNodes)
            lows = pass.input.map { $0.minimum(over: box, plus: pass.constant) } ?? pass.constant
            (input, captured) = (pass.input, pass.captured)
            (excluded, worst) = Self.exclusions(owners: owners, lows: lows)
            for k in excluded { open[k] = false }
            if !open.contains(true) { return .closed }
        }

        // alpha, beta-CROWN: raise the bounds of the rows CROWN leaves open by optimising the
        // relaxation's multipliers, warm-started from the parent's.
        var multipliers: (ReLUMultipliers, [Int])? = nil
        var slopes = d.slopes
        if d.depth == 0 && rootLayerSteps > 0 && d.refinedLayers == 0 {
            // At the root, first tighten every layer (alpha-CROWN); the sub-domains inherit it.
            guard let tightened = analysis.optimizedLayerBounds(box, nodes: nodes, relus: relus, splits: d.splits,
                                                                steps: rootLayerSteps, deadline: deadline, workers: workers) else { return .closed }
            nodes = tightened.nodes
            slopes = tightened.slopes
        }
        if steps > 0 {
            let start = warm ?? ReLUMultipliers(rows: owners.count, relus: relus, nodes: nodes, splits: d.splits)
            // Stop when every conjunction is excluded, or when the open ones cannot be at this
            // rate: the sub-domain will be split anyway, and its children go on from these
            // multipliers.
            var history: [Double] = []
            let optimized = analysis.optimizedLowerBounds(rows, box: box, nodes: nodes, relus: relus, start: start, steps: steps) { best in
                let (closed, _) = Self.exclusions(owners: owners, lows: best)
                if owners.allSatisfy({ closed.contains($0.conjunction) }) { return true }
                var worstOpen = Double.infinity
                for (r, o) in owners.enumerated() where !closed.contains(o.conjunction) {
                    worstOpen = min(worstOpen, best[r] + o.constraint.constant)
                }
                history.append(worstOpen)
                let n = history.count
                guard hopelessAfter > 0, n > hopelessAfter else { return false }
                let rate = (history[n - 1] - history[n - 1 - hopelessAfter]) / Double(hopelessAfter)
                return worstOpen + rate * Double(steps - n) < 0
            }
            for r in lows.indices where optimized.lows[r] > lows[r] { lows[r] = optimized.lows[r] }
            (input, captured) = (optimized.input, optimized.captured)
            multipliers = (optimized.multipliers, keys)
            (excluded, worst) = Self.exclusions(owners: owners, lows: lows)
            for k in excluded { open[k] = false }
            if !open.contains(true) { return .closed }
        }
        let refinable = d.depth == 0 && refineShare > 0 ? refinableReLUs : []
        let refineUntil = d.refineUntil ?? .now + ContinuousClock.now.duration(to: deadline) * refineShare
        if d.refinedLayers < refinable.count * refineRounds && ContinuousClock.now < refineUntil {
            // A root the optimisation leaves open: refine the next layer's bounds by a split
            // search per neuron, then bound the root again (warm-started) and go on with the
            // next layer while it stays open and the refinement's time lasts; after the last
            // layer, start again from the first with searches four times as large.
            let (relu, pre) = refinable[d.refinedLayers % refinable.count]
            let round = d.refinedLayers / refinable.count
            guard let refined = refineLayer(relu, pre: pre, box: box, nodes: nodes, splits: d.splits, slopes: slopes,
                                            expansions: refineExpansions << (2 * round), workers: workers,
                                            until: refineUntil, deadline: deadline) else { return .closed }
            var again = d
            again.refinedLayers += 1
            again.refineUntil = refineUntil
            again.open = open
            again.nodes = refined.nodes
            again.changedFrom = refined.nodes.count
            again.slopes = refined.slopes
            again.multipliers = multipliers
            return .split([again])
        }
        let worstValue = lows[worst] + owners[worst].constraint.constant

        if let a = input, let w = cornerWitness(a, row: worst, box: box, caseIndex: d.caseIndex) { return .found(w) }

        var basis = d.basis
        var start: (conjunction: Int, input: [Double])? = nil
        let neuron = branchingNeuron(row: worst, captured: captured, nodes: nodes)
        // Without unstable neurons the LP is exact on the sub-domain (splits included): a leaf
        // always gets it, whatever `useLP` says.
        if useLP || neuron == nil, let program = lp(d.caseIndex) {
            let left = ContinuousClock.now.duration(to: deadline) / .seconds(1)
            guard left > 0 else { return .split([d]) }  // the work list reports the timeout
            switch lpBounds(program, timeLimit: min(lpTimeLimit, left), basis: &basis, open: &open, owners: owners, lows: lows,
                            box: box, nodes: nodes, caseIndex: d.caseIndex) {
            case .empty: return .closed
            case .found(let w): return .found(w)
            case .open(let candidate):
                if !open.contains(true) { return .closed }
                start = candidate
            }
        }
        if attackShare.allows() {
            let began = ContinuousClock.now
            let found = attack(d, from: start, worstConjunction: owners[worst].conjunction, box: box)
            attackShare.spend(began.duration(to: .now))
            if let w = found { return .found(w) }
        }
        guard let (node, neuron) = neuron else { return .stuck }
        var children: [Domain] = []
        for active in [true, false] {
            var child = d
            child.open = open
            child.splits.append(NeuronSplit(node: node, neuron: neuron, active: active))
            child.nodes = nodes
            child.changedFrom = node
            child.depth += 1
            child.priority = worstValue
            child.basis = basis
            child.slopes = slopes
            child.multipliers = multipliers.map { ($0.0.selecting(Array(0..<$0.0.rows), adding: child.splits.last), $0.1) }
            children.append(child)
        }
        return .split(children)
    }

    /// The conjunctions some constraint excludes (`lb + d > 0`, rounded down), and the row of
    /// the open constraint with the lowest `lb + d` (the one branching works on).
    static func exclusions(owners: [(conjunction: Int, constraint: OutputConstraint)], lows: [Double]) -> (Set<Int>, Int) {
        var excluded = Set<Int>()
        for (r, o) in owners.enumerated() where (lows[r] + o.constraint.constant).nextDown > 0 {
            excluded.insert(o.conjunction)
        }
        var worst = 0
        var worstValue = Double.infinity
        for (r, o) in owners.enumerated() where !excluded.contains(o.conjunction) {
            let v = lows[r] + o.constraint.constant
            if v < worstValue || worstValue.isNaN { worst = r; worstValue = v }
        }
        return (excluded, worst)
    }

    /// The corner of the box minimising row `row` of the linear bound on the input, replayed.
    func cornerWitness(_ a: LinearRows, row: Int, box: Bounds, caseIndex: Int) -> VNNWitness? {
        let x = BranchAndBound.minimisingCorner(a, rows: row..<(row + 1), lower: box.lower, upper: box.upper)
        return VNNWitness.replay(real: x, lower: box.lower, upper: box.upper, network: analysis.network, spec: spec, caseIndex: caseIndex)
    }

    /// Keeps the attack going while the search runs: a descent from the LP optimum's input (the
    /// point the relaxation finds worst on this sub-domain) and one from a random point of the
    /// box, on the worst open conjunction. A few milliseconds beside an LP; found points are
    /// replayed like any other.
    func attack(_ d: Domain, from start: (conjunction: Int, input: [Double])?, worstConjunction: Int, box: Bounds) -> VNNWitness? {
        guard falsifier.steps > 0 else { return nil }
        var rng = SplitMix64(seed: falsifier.seed &+ UInt64(d.splits.count) &* 0x9E37_79B9 &+ UInt64(d.splits.last?.neuron ?? 0) &* 31
                                &+ (d.splits.last?.active == true ? 1 : 0))
        var starts: [(Int, [Double])] = []
        if let start { starts.append(start) }
        starts.append((worstConjunction, box.lower.indices.map { box.lower[$0] + rng.unit() * (box.upper[$0] - box.lower[$0]) }))
        for (k, x) in starts {
            if let w = falsifier.descend(from: x, lower: box.lower, upper: box.upper, conjunction: k,
                                         network: analysis.network, spec: spec, caseIndex: d.caseIndex, steps: falsifier.steps / 2) {
                return w
            }
        }
        return nil
    }

    /// The unstable neuron whose relaxation costs the worst constraint's bound the most.
    func branchingNeuron(row: Int, captured: [Int: LinearRows], nodes: [Bounds], before t: Int? = nil) -> (node: Int, neuron: Int)? {
        var best: (Int, Int)? = nil
        var bestScore = -1.0
        for (relu, pre) in relus where relu < (t ?? relu + 1) {
            let b = nodes[pre]
            let a = captured[relu]
            for k in 0..<b.count {
                let l = b.lower[k], u = b.upper[k]
                guard l < 0, u > 0 else { continue }
                let coefficient = a.map { $0.values[row * $0.columns + k] } ?? 0
                var score = coefficient < 0 ? -coefficient * u * (-l) / (u - l) : 0.25 * coefficient * min(u, -l)
                // Ties (rows that do not reach the ReLU) fall back on the widest interval.
                score += 1e-9 * min(u, -l)
                if score > bestScore { bestScore = score; best = (pre, k) }
            }
        }
        return best
    }
}
