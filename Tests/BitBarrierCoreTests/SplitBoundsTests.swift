@testable import BitBarrierCore
import Testing

/// ReLU branch and bound's sub-domain bounds: with some ReLU inputs restricted to a sign,
/// every sampled point of the box whose values have those signs stays inside every node's
/// bounds, and a sub-domain holding a point is never reported empty.
@Suite struct SplitBoundsTests {
    /// (ReLU input node, neuron) pairs unstable on the root bounds.
    static func unstable(_ network: Network, _ bounds: [Bounds]) -> [(Int, Int)] {
        var result: [(Int, Int)] = []
        for node in network.nodes where node.layer is ReLU {
            guard case .node(let j) = node.inputs[0] else { continue }
            for k in 0..<bounds[j].count where bounds[j].lower[k] < 0 && bounds[j].upper[k] > 0 { result.append((j, k)) }
        }
        return result
    }

    /// Up to three splits among `candidates`, with the signs of a sampled point of the box (so
    /// the sub-domain holds at least that point); neurons within float32 noise of 0 are skipped.
    static func splits(_ network: Network, _ box: Bounds, from candidates: inout [(Int, Int)], _ rng: inout SplitMix64) -> [NeuronSplit] {
        let x0 = LayerSoundnessTests.sample(box, &rng, corner: false)
        let v0 = network.evaluateAll(x0)
        var splits: [NeuronSplit] = []
        while splits.count < 3, !candidates.isEmpty {
            let (j, k) = candidates.remove(at: Int.random(in: 0..<candidates.count, using: &rng))
            let v = Double(v0[j][k])
            guard abs(v) > LayerSoundnessTests.tolerance(v) else { continue }
            splits.append(NeuronSplit(node: j, neuron: k, active: v > 0))
        }
        return splits
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6])
    func sampledPointsOfTheSubdomainStayInside(seed: UInt64) {
        let network = TestNetworks.mlp(seed: seed)
        let analysis = BoundAnalysis(network: network)
        var rng = SplitMix64(seed: seed &+ 100)
        let box = LayerSoundnessTests.randomBox(network, &rng, epsilon: 0.4)
        guard let root = analysis.splitLayerBounds(box, parent: nil, splits: [], reuseBefore: 0) else {
            Issue.record("seed \(seed): the root domain reported empty")
            return
        }
        #expect(root == analysis.layerBounds(box, intermediate: .crown), "seed \(seed): no splits must give the plain CROWN bounds")
        var candidates = Self.unstable(network, root)
        #expect(candidates.count >= 3, "seed \(seed): too few unstable neurons to split (\(candidates.count))")
        let splits = Self.splits(network, box, from: &candidates, &rng)
        let first = splits.map(\.node).min()!
        let child = analysis.splitLayerBounds(box, parent: root, splits: splits, reuseBefore: first)
        var inside = 0
        for s in 0..<20_000 {
            let x = LayerSoundnessTests.sample(box, &rng, corner: s % 8 == 0)
            let values = network.evaluateAll(x)
            // Points within float32 noise of a split's boundary may lie on either side: skipped.
            let signsHold = splits.allSatisfy { sp in
                let v = Double(values[sp.node][sp.neuron])
                return sp.active ? v > LayerSoundnessTests.tolerance(v) : v < -LayerSoundnessTests.tolerance(v)
            }
            guard signsHold else { continue }
            inside += 1
            guard let child else {
                Issue.record("seed \(seed): sub-domain reported empty, but \(x) has the split signs")
                return
            }
            for (i, v) in values.enumerated() {
                for j in v.indices {
                    let y = Double(v[j]), t = LayerSoundnessTests.tolerance(y)
                    if !(child[i].lower[j] - t <= y && y <= child[i].upper[j] + t) {
                        Issue.record("seed \(seed) node \(i) neuron \(j): \(y) outside the split bounds [\(child[i].lower[j]), \(child[i].upper[j])]")
                        return
                    }
                }
            }
        }
        if let child {
            // Clamped and intersected: never looser than the root.
            for i in child.indices where !child[i].lower.isEmpty {
                for j in child[i].lower.indices {
                    #expect(child[i].lower[j] >= root[i].lower[j] && child[i].upper[j] <= root[i].upper[j])
                }
            }
            for sp in splits {
                let b = child[sp.node]
                #expect(sp.active ? b.lower[sp.neuron] >= 0 : b.upper[sp.neuron] <= 0, "seed \(seed): split not applied")
            }
        }
        #expect(child != nil, "seed \(seed): a sub-domain holding a sampled point was reported empty")
        #expect(inside > 0, "seed \(seed): no sampled point in the sub-domain (the check would be vacuous)")
    }

    /// Tightening a node's neurons in chunks while watching a deadline: with the deadline far
    /// away the bounds are those of one pass (up to summation order); with it already past, the neurons of the wide
    /// layer keep their interval bounds, which contain the tightened ones.
    @Test func deadlineChunksKeepTheBounds() throws {
        var rng = SplitMix64(seed: 11)
        var nodes: [Node] = []
        for (n, k) in [(600, 4), (600, 600)] {
            nodes.append(Node(name: "d\(nodes.count)", opType: "Gemm", layer: TestNetworks.dense(&rng, n, k),
                              inputs: [nodes.isEmpty ? .input : .node(nodes.count - 1)], shape: [1, n]))
            nodes.append(Node(name: "r\(nodes.count)", opType: "Relu", layer: ReLU(size: n), inputs: [.node(nodes.count - 1)], shape: [1, n]))
        }
        nodes.append(Node(name: "out", opType: "Gemm", layer: TestNetworks.dense(&rng, 3, 600), inputs: [.node(nodes.count - 1)], shape: [1, 3]))
        let network = Network(name: "wide", inputName: "x", inputShape: [1, 4], outputName: "y", nodes: nodes, output: nodes.count - 1)
        let analysis = BoundAnalysis(network: network)
        let box = Bounds(lower: [-1, -1, -1, -1], upper: [1, 1, 1, 1])
        let plain = try #require(analysis.splitLayerBounds(box, parent: nil, splits: [], reuseBefore: 0))
        let unstable = (0..<600).filter { plain[2].lower[$0] < 0 && plain[2].upper[$0] > 0 }.count
        let interval = analysis.intervalBounds(box)
        let candidates = (0..<600).filter { interval[2].lower[$0] < 0 && interval[2].upper[$0] > 0 }.count
        #expect(candidates > BoundAnalysis.deadlineChunk, "only \(candidates) candidates (\(unstable) unstable): no chunks to test")
        let chunked = try #require(analysis.splitLayerBounds(box, parent: nil, splits: [], reuseBefore: 0, until: .now + .seconds(3600)))
        // The same rows, bounded in smaller batches: equal up to the GEMMs' summation order.
        var gap = 0.0
        for i in plain.indices {
            for k in 0..<plain[i].count {
                gap = max(gap, abs(chunked[i].lower[k] - plain[i].lower[k]), abs(chunked[i].upper[k] - plain[i].upper[k]))
            }
        }
        #expect(gap < 1e-9, "chunked tightening moved a bound by \(gap)")
        let late = try #require(analysis.splitLayerBounds(box, parent: nil, splits: [], reuseBefore: 0, until: .now - .seconds(1)))
        var looser = 0
        for i in plain.indices {
            for k in 0..<plain[i].count {
                #expect(late[i].lower[k] <= plain[i].lower[k] && late[i].upper[k] >= plain[i].upper[k],
                        "node \(i) neuron \(k): past the deadline [\(late[i].lower[k]), \(late[i].upper[k])] does not contain [\(plain[i].lower[k]), \(plain[i].upper[k])]")
                if late[i].lower[k] < plain[i].lower[k] || late[i].upper[k] > plain[i].upper[k] { looser += 1 }
            }
        }
        #expect(looser > 0, "past the deadline nothing was left untightened")
    }
}
