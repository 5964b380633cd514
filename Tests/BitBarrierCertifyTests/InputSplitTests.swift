@testable import BitBarrierCertify
import BitBarrierCore
import BitBarrierData
import Foundation
import Testing

/// Input-splitting branch and bound with ReLU splits inside a box (BranchAndBound+ReLUSplits):
/// a sub-domain's node bounds and its splits' constraints hold at every point of the box with
/// the splits' signs. (`ReLUBranchAndBoundTests.agreesWithInputSplitting` checks the verdicts
/// with and without the splits against each other and against ReLU splitting.)
@Suite struct InputSplitTests {
    /// A small box of ACAS Xu 1_1's property 2 region around a sampled point, where several
    /// ReLUs are unstable.
    static func smallBox(_ rng: inout SplitMix64, around spec: VNNLibSpec, width: Double) -> Bounds {
        let c = spec.cases[0]
        var lower = c.lower, upper = c.upper
        for j in lower.indices {
            let span = c.upper[j] - c.lower[j]
            let w = min(span, width)
            let start = c.lower[j] + Double(rng.next() % 1_000_000) / 1_000_000 * (span - w)
            lower[j] = start
            upper[j] = start + w
        }
        return Bounds(lower: lower, upper: upper)
    }

    static func sample(_ box: Bounds, _ rng: inout SplitMix64) -> [Float] {
        box.lower.indices.map { j in
            let t = Double(rng.next() % 1_000_001) / 1_000_000
            // Rounded to float32 inside the box.
            var v = Float(box.lower[j] + t * (box.upper[j] - box.lower[j]))
            if Double(v) < box.lower[j] { v = v.nextUp }
            if Double(v) > box.upper[j] { v = v.nextDown }
            return v
        }
    }

    /// Float32 evaluation noise allowed when comparing a concrete value with real-number bounds.
    static func tolerance(_ v: Double) -> Double { 1e-5 * max(1, abs(v)) }

    /// For several sub-domains (splits with the signs of a sampled point, in the earliest
    /// unstable layers, as the search makes them): every sampled point of the box with those
    /// signs lies inside each node's bounds, tightened over the splits' polytope, and meets
    /// every split constraint (g . x + h <= 0). A flipped constraint row or a tightening that
    /// swapped lower and upper fails here.
    @Test(arguments: [UInt64(1), 2, 3, 4])
    func subdomainBoundsHoldOnTheirPoints(seed: UInt64) throws {
        let (network, spec) = try VerifyTests.acas("1_1", 2)
        let search = BranchAndBound(network: network, spec: spec)
        var rng = SplitMix64(seed: seed)
        let box = Self.smallBox(&rng, around: spec, width: 0.08)
        let open = [Bool](repeating: true, count: spec.cases[0].outputDisjuncts.count)
        var item = BranchAndBound.Item(caseIndex: 0, lower: box.lower, upper: box.upper, open: open, depth: 0)
        var constraintsChecked = 0, inside = 0, tightened = 0
        // Splits added one at a time, each on the earliest unstable neuron, with the sign a
        // sampled point has there (so the sub-domain holds that point).
        let anchor = Self.sample(box, &rng)
        let anchorValues = network.evaluateAll(anchor)
        for _ in 0..<4 {
            var g = LinearRows(zeros: 0, columns: box.count), h: [Double] = []
            guard let nodes = search.domainBounds(item, box: box, constraints: &g, constants: &h) else {
                Issue.record("seed \(seed): a sub-domain holding a sampled point was reported empty")
                return
            }
            let plain = network.nodes.indices.map { i in
                item.splits.isEmpty ? nodes[i] : search.analysis.splitLayerBounds(box, parent: nil, splits: item.splits, reuseBefore: 0)![i]
            }
            for i in nodes.indices where nodes[i].count > 0 {
                for k in 0..<nodes[i].count where nodes[i].lower[k] > plain[i].lower[k] || nodes[i].upper[k] < plain[i].upper[k] {
                    tightened += 1
                }
            }
            for _ in 0..<4000 {
                let x = Self.sample(box, &rng)
                let values = network.evaluateAll(x)
                let signsHold = item.splits.allSatisfy { s in
                    let v = Double(values[s.node][s.neuron])
                    return s.active ? v > Self.tolerance(v) : v < -Self.tolerance(v)
                }
                guard signsHold else { continue }
                inside += 1
                for i in nodes.indices where nodes[i].count == values[i].count {
                    for k in 0..<values[i].count {
                        let v = Double(values[i][k])
                        #expect(v >= nodes[i].lower[k] - Self.tolerance(v) && v <= nodes[i].upper[k] + Self.tolerance(v),
                                "seed \(seed), splits \(item.splits.count): node \(i) neuron \(k) = \(v) outside [\(nodes[i].lower[k]), \(nodes[i].upper[k])]")
                    }
                }
                for r in 0..<g.rows {
                    var value = h[r]
                    for j in 0..<g.columns { value += g.values[r * g.columns + j] * Double(x[j]) }
                    #expect(value <= 1e-5, "seed \(seed): split constraint \(r) is \(value) > 0 at a point with the splits' signs")
                    constraintsChecked += 1
                }
            }
            guard let next = BranchAndBound.unstableNeuron(nodes, analysis: search.analysis) else { break }
            let v = Double(anchorValues[next.node][next.neuron])
            item.splits.append(NeuronSplit(node: next.node, neuron: next.neuron, active: v > 0))
            item.nodes = nodes
            item.reuseBefore = next.node
        }
        #expect(inside > 100, "seed \(seed): too few sampled points with the splits' signs (\(inside))")
        #expect(constraintsChecked > 0, "seed \(seed): no split constraint was checked")
        #expect(tightened > 0, "seed \(seed): the polytope never tightened a bound: pick another box")
    }
}
