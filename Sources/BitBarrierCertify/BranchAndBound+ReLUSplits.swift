import BitBarrierCore
import BitBarrierData
import BitBarrierLP

/// ReLU splits inside a box of the input-splitting search (nnenum's and Venus's way, within
/// one box).
///
/// Near a point where the property is tight, input splitting needs boxes whose relaxation error
/// is below the margin, however few neurons are unstable on them (ACAS Xu 3_3 property 2:
/// margins of 10^-3 on scores of 0.02, boxes at depth 45 and an open list that only grows). A
/// sign for each unstable ReLU makes the network affine on the box, and the conjunction's LP
/// over the box then decides it exactly. So a box with at most `reluSplitLimit` unstable ReLUs
/// is split on one of them (the earliest layer first) instead of on an input; a sub-domain's
/// node bounds are clamped to its signs (`splitLayerBounds`), its splits' constraints (`-z <= 0`
/// for an active neuron, `z <= 0` for an inactive one, by their linear lower bounds) join the
/// conjunction's LP (``BranchAndBound/combination(_:constants:box:)``), and the earliest layer
/// still unstable, affine on the sub-domain, is bounded over the polytope of those constraints
/// rather than over the box. Every point of the box lies in one of the children's sub-domains
/// and meets its constraints there, so closing both children closes the parent.
/// Proofs/BranchAndBound.md, "ReLU splits inside a box".
extension BranchAndBound {
    /// Node bounds of the item's sub-domain (nil when it is empty), with its splits'
    /// constraints appended to `g` and `h`; the earliest unstable layer is tightened over their
    /// polytope.
    func domainBounds(_ item: Item, box: Bounds, until deadline: ContinuousClock.Instant? = nil,
                      constraints g: inout LinearRows, constants h: inout [Double]) -> [Bounds]? {
        guard var nodes = analysis.splitLayerBounds(box, parent: item.nodes, splits: item.splits, reuseBefore: item.reuseBefore,
                                                    until: deadline) else { return nil }
        guard !item.splits.isEmpty else { return nodes }
        guard let (rows, constants) = splitConstraints(item.splits, box: box, nodes: nodes) else { return nodes }
        g = rows
        h = constants
        if let i = Self.unstableNeuron(nodes, analysis: analysis)?.node {
            guard tighten(node: i, nodes: &nodes, constraints: g, constants: h, box: box) else { return nil }
            guard let tightened = analysis.splitLayerBounds(box, parent: nodes, splits: item.splits, reuseBefore: i + 1,
                                                            until: deadline) else { return nil }
            nodes = tightened
        }
        return nodes
    }

    /// Linear lower bounds on the input of the splits' constraints, `-z_j` for an active split
    /// and `z_j` for an inactive one (each <= 0 on the sub-domain), as rows and constants; nil
    /// if some bound does not reach the input.
    func splitConstraints(_ splits: [NeuronSplit], box: Bounds, nodes: [Bounds]) -> (LinearRows, [Double])? {
        var g = LinearRows(zeros: 0, columns: box.count)
        var h: [Double] = []
        for node in Set(splits.map(\.node)).sorted() {
            let own = splits.filter { $0.node == node }
            var rows = LinearRows(zeros: own.count, columns: nodes[node].count)
            for (r, s) in own.enumerated() { rows.values[r * rows.columns + s.neuron] = s.active ? -1 : 1 }
            let pass = analysis.substitute(rows, at: node, box: box, nodes: nodes)
            guard let input = pass.input else { return nil }
            g.values += input.values
            g.rows += input.rows
            h += pass.constant
        }
        return (g, h)
    }

    /// Tightens node i's unstable neurons to their bounds over the polytope of the constraints
    /// (``PolytopeLP``'s multipliers, evaluated rigorously: the Lagrangian's minimum over the box
    /// is below the constrained one); false when the bounds cross (an empty sub-domain).
    func tighten(node i: Int, nodes: inout [Bounds], constraints g: LinearRows, constants h: [Double], box: Bounds) -> Bool {
        let b = nodes[i]
        let unstable = (0..<b.count).filter { b.lower[$0] < 0 && b.upper[$0] > 0 }
        guard !unstable.isEmpty, let lp = PolytopeLP(constraints: g, constants: h, box: box) else { return true }
        var rows = LinearRows(zeros: 2 * unstable.count, columns: b.count)
        for (r, j) in unstable.enumerated() {
            rows.values[r * b.count + j] = 1
            rows.values[(unstable.count + r) * b.count + j] = -1
        }
        let pass = analysis.substitute(rows, at: i, box: box, nodes: nodes)
        guard let forms = pass.input else { return true }
        for r in 0..<rows.rows {
            let a = Array(forms.values[(r * forms.columns)..<((r + 1) * forms.columns)])
            guard let proposal = lp.minimize(a) else { continue }
            var combined = LinearRows(rows: 1, columns: forms.columns, values: a)
            combined.values += g.values
            combined.rows += g.rows
            let bound = combined.combinedMinimum(weights: [1] + proposal.multipliers, over: box, plus: [pass.constant[r]] + h)
            guard bound.isFinite else { continue }
            let j = unstable[r % unstable.count]
            if r < unstable.count { nodes[i].lower[j] = max(nodes[i].lower[j], bound) } else { nodes[i].upper[j] = min(nodes[i].upper[j], -bound) }
        }
        return unstable.allSatisfy { nodes[i].lower[$0] <= nodes[i].upper[$0] }
    }

    /// The unstable ReLU input to split next: in the earliest node that has one, the neuron
    /// with the largest `min(-l, u)`; nil when every ReLU is stable.
    static func unstableNeuron(_ nodes: [Bounds], analysis: BoundAnalysis) -> (node: Int, neuron: Int)? {
        for i in nodes.indices where analysis.feedsReLU[i] {
            var best: Int? = nil
            var score = 0.0
            for j in 0..<nodes[i].count where nodes[i].lower[j] < 0 && nodes[i].upper[j] > 0 {
                let s = min(-nodes[i].lower[j], nodes[i].upper[j])
                if best == nil || s > score { best = j; score = s }
            }
            if let best { return (i, best) }
        }
        return nil
    }

    /// The number of unstable ReLU inputs.
    static func unstableCount(_ nodes: [Bounds], analysis: BoundAnalysis) -> Int {
        nodes.indices.filter { analysis.feedsReLU[$0] }.reduce(0) { total, i in
            total + (0..<nodes[i].count).filter { nodes[i].lower[$0] < 0 && nodes[i].upper[$0] > 0 }.count
        }
    }
}
