import BitBarrierCore
import Foundation
import Testing

/// alpha, beta-CROWN (`ReLUMultipliers`, `optimizedLowerBounds`, `optimizedLayerBounds`): on a
/// sub-domain with split ReLUs, every sampled point whose values have the split signs stays
/// inside the optimised node bounds and above the optimised output bounds, for the optimiser's
/// multipliers and for arbitrary ones in range (a grid of split multipliers included, which a
/// wrong sign in the split term would turn unsound); and optimising never loosens CROWN.
@Suite struct OptimizedBoundsTests {
    /// Dense 8 -> 16 -> 16 -> 16 -> 5 with ReLUs: deep enough for the layer bounds to matter.
    static func reluNetwork(seed: UInt64) -> Network {
        var rng = SplitMix64(seed: seed)
        var nodes: [Node] = []
        func add(_ layer: any Layer, _ op: String, _ size: Int) {
            nodes.append(Node(name: "n\(nodes.count)", opType: op, layer: layer,
                              inputs: [nodes.isEmpty ? .input : .node(nodes.count - 1)], shape: [1, size]))
        }
        var width = 8
        for _ in 0..<3 {
            add(TestNetworks.dense(&rng, 16, width), "Gemm", 16)
            add(ReLU(size: 16), "Relu", 16)
            width = 16
        }
        add(TestNetworks.dense(&rng, 5, 16), "Gemm", 5)
        return Network(name: "relu-mlp", inputName: "x", inputShape: [1, 8], outputName: "y", nodes: nodes, output: nodes.count - 1)
    }

    static func relus(_ network: Network) -> [(relu: Int, pre: Int)] {
        network.nodes.enumerated().compactMap { i, node in
            guard node.layer is ReLU, case .node(let j) = node.inputs[0] else { return nil }
            return (i, j)
        }
    }

    /// One sub-domain: the box, splits taken from a sampled point (so it holds that point), its
    /// CROWN bounds and its alpha-CROWN layer bounds.
    struct Case {
        let network: Network
        let analysis: BoundAnalysis
        let box: Bounds
        let splits: [NeuronSplit]
        let crown: [Bounds]
        let tightened: [Bounds]
        /// The sub-domain's CROWN bounds from scratch (no parent) with the root's optimised
        /// slopes on the intermediate layers (``NeuronBoundSlopes``).
        let withRootSlopes: [Bounds]
    }

    static func subdomain(seed: UInt64) -> Case? {
        let network = reluNetwork(seed: seed)
        let analysis = BoundAnalysis(network: network)
        var rng = SplitMix64(seed: seed &+ 77)
        let box = LayerSoundnessTests.randomBox(network, &rng, epsilon: 0.6)
        guard let root = analysis.splitLayerBounds(box, parent: nil, splits: [], reuseBefore: 0) else { return nil }
        var candidates = SplitBoundsTests.unstable(network, root).filter { $0.0 > 0 }
        let splits = SplitBoundsTests.splits(network, box, from: &candidates, &rng)
        guard !splits.isEmpty,
              let crown = analysis.splitLayerBounds(box, parent: root, splits: splits, reuseBefore: splits.map(\.node).min()!),
              let tightened = analysis.optimizedLayerBounds(box, nodes: crown, relus: relus(network), splits: splits, steps: 30,
                                                            deadline: .now + .seconds(60)),
              let optimizedRoot = analysis.optimizedLayerBounds(box, nodes: root, relus: relus(network), splits: [], steps: 30,
                                                                deadline: .now + .seconds(60)),
              let withRootSlopes = analysis.splitLayerBounds(box, parent: nil, splits: splits, reuseBefore: 0,
                                                             slopes: optimizedRoot.slopes) else { return nil }
        return Case(network: network, analysis: analysis, box: box, splits: splits, crown: crown, tightened: tightened.nodes,
                    withRootSlopes: withRootSlopes)
    }

    static func rows(_ rng: inout SplitMix64, count: Int, columns: Int) -> LinearRows {
        LinearRows(rows: count, columns: columns, values: rng.floats(count * columns).map(Double.init))
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func sampledPointsRespectOptimisedBounds(seed: UInt64) {
        guard let c = Self.subdomain(seed: seed) else {
            Issue.record("seed \(seed): no sub-domain (a sub-domain holding a sampled point must not be empty)")
            return
        }
        let relus = Self.relus(c.network)
        var rng = SplitMix64(seed: seed &+ 5)
        let rows = Self.rows(&rng, count: 4, columns: 5)
        let start = ReLUMultipliers(rows: 4, relus: relus, nodes: c.tightened, splits: c.splits)
        let plain = c.analysis.lowerBounds(of: rows, at: c.network.output, box: c.box, nodes: c.tightened)
        let optimized = c.analysis.optimizedLowerBounds(rows, box: c.box, nodes: c.tightened, relus: relus, start: start, steps: 40) { _ in false }
        for r in 0..<4 {
            #expect(optimized.lows[r] >= plain[r] - 1e-9 * abs(plain[r]), "seed \(seed) row \(r): optimised \(optimized.lows[r]) below CROWN \(plain[r])")
        }
        // Arbitrary multipliers in range: random slopes with split multipliers up to 20, and each
        // split's multiplier alone on a grid (where a wrong sign of the split term would cancel
        // the row's coefficient and lift the bound above the sub-domain's minimum). Each is a
        // sound bound, so their maximum must be one too.
        var random = [Double](repeating: -.infinity, count: 4)
        var trials: [ReLUMultipliers] = []
        for _ in 0..<8 {
            var m = optimized.multipliers
            for (node, values) in m.alpha { m.alpha[node] = values.map { _ in Double.random(in: 0...1, using: &rng) } }
            m.beta = m.beta.map { $0.map { _ in Double.random(in: 0...20, using: &rng) } }
            trials.append(m)
        }
        for k in c.splits.indices {
            for g in stride(from: 0.05, through: 4, by: 0.05) {
                var m = start
                m.beta[k] = [Double](repeating: g, count: 4)
                trials.append(m)
            }
        }
        for m in trials {
            let pass = c.analysis.substitute(rows, at: c.network.output, box: c.box, nodes: c.tightened, capturing: [], multipliers: m)
            let lows = pass.input.map { $0.minimum(over: c.box, plus: pass.constant) } ?? pass.constant
            for r in 0..<4 { random[r] = max(random[r], lows[r]) }
        }

        var inside = 0
        for s in 0..<20_000 {
            let x = LayerSoundnessTests.sample(c.box, &rng, corner: s % 8 == 0)
            let values = c.network.evaluateAll(x)
            let signsHold = c.splits.allSatisfy { sp in
                let v = Double(values[sp.node][sp.neuron])
                return sp.active ? v > LayerSoundnessTests.tolerance(v) : v < -LayerSoundnessTests.tolerance(v)
            }
            guard signsHold else { continue }
            inside += 1
            for (i, v) in values.enumerated() {
                for j in v.indices {
                    let y = Double(v[j]), t = LayerSoundnessTests.tolerance(y)
                    for (name, b) in [("optimised", c.tightened[i]), ("root-slope", c.withRootSlopes[i])] where !(b.lower[j] - t <= y && y <= b.upper[j] + t) {
                        Issue.record("seed \(seed) node \(i) neuron \(j): \(y) outside the \(name) bounds [\(b.lower[j]), \(b.upper[j])]")
                        return
                    }
                }
            }
            let y = values[c.network.output].map(Double.init)
            for r in 0..<4 {
                let value = (0..<5).reduce(0.0) { $0 + rows.values[r * 5 + $1] * y[$1] }
                let t = 1e-5 * y.map(abs).reduce(0, +) + 1e-6
                if value < optimized.lows[r] - t || value < random[r] - t {
                    Issue.record("seed \(seed) row \(r): sampled \(value) below the optimised bound \(optimized.lows[r]) or the arbitrary one \(random[r])")
                    return
                }
            }
        }
        #expect(inside > 0, "seed \(seed): no sampled point in the sub-domain (the check would be vacuous)")
    }

    /// A batch of rows over different sub-domains of the same node bounds
    /// (``ReLUMultipliers/stacking(_:)``, the root refinement's lockstep searches): each row's
    /// bound equals the bound of the same row and multipliers computed alone over its own
    /// sub-domain (node bounds clamped to its splits), plain passes and optimised ones alike,
    /// and every sampled point of a row's sub-domain stays above that row's bound. A batch row
    /// that ignored its own splits would be looser; one that applied another row's would be
    /// tighter than its own domain allows (and fail the samples).
    @Test(arguments: [UInt64(1), 2, 3, 4])
    func stackedRowsBoundTheirOwnDomains(seed: UInt64) {
        let network = Self.reluNetwork(seed: seed)
        let analysis = BoundAnalysis(network: network)
        let relus = Self.relus(network)
        var rng = SplitMix64(seed: seed &+ 31)
        let box = LayerSoundnessTests.randomBox(network, &rng, epsilon: 0.6)
        guard let root = analysis.splitLayerBounds(box, parent: nil, splits: [], reuseBefore: 0) else {
            Issue.record("seed \(seed): the root domain reported empty")
            return
        }
        // Three sub-domains (splits from sampled points), each row alone with random multipliers.
        var parts: [(splits: [NeuronSplit], nodes: [Bounds], m: ReLUMultipliers, row: [Double])] = []
        for _ in 0..<3 {
            var candidates = SplitBoundsTests.unstable(network, root)
            let splits = SplitBoundsTests.splits(network, box, from: &candidates, &rng)
            var nodes = root
            for s in splits { _ = BoundAnalysis.clamp(&nodes[s.node], [s]) }
            var m = ReLUMultipliers(rows: 1, relus: relus, nodes: nodes, splits: splits)
            for (node, values) in m.alpha { m.alpha[node] = values.map { _ in Double.random(in: 0...1, using: &rng) } }
            m.beta = m.beta.map { _ in [Double.random(in: 0...2, using: &rng)] }
            parts.append((splits, nodes, m, Self.rows(&rng, count: 1, columns: 5).values))
        }
        #expect(parts.contains { !$0.splits.isEmpty }, "seed \(seed): no splits (the check would be vacuous)")
        let rows = LinearRows(rows: parts.count, columns: 5, values: parts.flatMap(\.row))
        let batch = ReLUMultipliers.stacking(parts.map(\.m))
        let output = network.output
        let pass = analysis.substitute(rows, at: output, box: box, nodes: root, capturing: [], multipliers: batch)
        let stacked = pass.input.map { $0.minimum(over: box, plus: pass.constant) } ?? pass.constant
        let optimizedBatch = analysis.optimizedLowerBounds(rows, box: box, nodes: root, relus: relus, start: batch, steps: 5) { _ in false }
        func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-9 * max(1, abs(a), abs(b)) }
        for (r, p) in parts.enumerated() {
            let one = LinearRows(rows: 1, columns: 5, values: p.row)
            let alone = analysis.substitute(one, at: output, box: box, nodes: p.nodes, capturing: [], multipliers: p.m)
            let low = alone.input.map { $0.minimum(over: box, plus: alone.constant) } ?? alone.constant
            #expect(close(stacked[r], low[0]), "seed \(seed) row \(r): batch bound \(stacked[r]), alone \(low[0])")
            let optimized = analysis.optimizedLowerBounds(one, box: box, nodes: p.nodes, relus: relus, start: p.m, steps: 5) { _ in false }
            #expect(close(optimizedBatch.lows[r], optimized.lows[0]),
                    "seed \(seed) row \(r): optimised batch bound \(optimizedBatch.lows[r]), alone \(optimized.lows[0])")
            // The row's multipliers taken back out of the batch are its own (a child's warm start).
            let back = optimizedBatch.multipliers.row(r)
            #expect(Set(back.splits) == Set(p.splits), "seed \(seed) row \(r): row(_:) kept splits \(back.splits), own \(p.splits)")
        }
        var inside = [Int](repeating: 0, count: parts.count)
        for s in 0..<5_000 {
            let x = LayerSoundnessTests.sample(box, &rng, corner: s % 8 == 0)
            let values = network.evaluateAll(x)
            let y = values[output].map(Double.init)
            for (r, p) in parts.enumerated() {
                let holds = p.splits.allSatisfy { sp in
                    let v = Double(values[sp.node][sp.neuron])
                    return sp.active ? v > LayerSoundnessTests.tolerance(v) : v < -LayerSoundnessTests.tolerance(v)
                }
                guard holds else { continue }
                inside[r] += 1
                let value = (0..<5).reduce(0.0) { $0 + p.row[$1] * y[$1] }
                let t = 1e-5 * y.map(abs).reduce(0, +) + 1e-6
                if value < stacked[r] - t || value < optimizedBatch.lows[r] - t {
                    Issue.record("seed \(seed) row \(r): sampled \(value) below the batch bound \(stacked[r]) / \(optimizedBatch.lows[r])")
                    return
                }
            }
        }
        #expect(inside.allSatisfy { $0 > 0 }, "seed \(seed): a sub-domain got no sampled point (\(inside))")
    }

    /// The root's layer bounds split among threads (`optimizedLayerBounds(workers:)`, each
    /// thread a part of a layer's neurons) are the bounds of one thread, and so are the slopes
    /// it hands to the sub-domains (a sub-domain bounded with either gives the same bounds): a
    /// part's lower and upper rows put back on the wrong neurons would show here.
    @Test(arguments: [UInt64(1), 2, 3])
    func layerBoundsDoNotDependOnWorkers(seed: UInt64) {
        guard let c = Self.subdomain(seed: seed),
              let root = c.analysis.splitLayerBounds(c.box, parent: nil, splits: [], reuseBefore: 0) else {
            Issue.record("seed \(seed): no sub-domain")
            return
        }
        let relus = Self.relus(c.network)
        let results = [1, 2, 3].compactMap { w in
            c.analysis.optimizedLayerBounds(c.box, nodes: root, relus: relus, splits: [], steps: 10, deadline: .now + .seconds(60), workers: w)
        }
        #expect(results.count == 3, "seed \(seed): the root reported empty")
        guard results.count == 3 else { return }
        #expect(results[0].slopes.values.contains { $0.neurons.count >= 3 }, "seed \(seed): no layer with three unstable neurons to split among threads")
        func close(_ a: [Bounds], _ b: [Bounds]) -> Bool {
            zip(a, b).allSatisfy { x, y in
                zip(x.lower + x.upper, y.lower + y.upper).allSatisfy { abs($0 - $1) <= 1e-9 * max(1, abs($0), abs($1)) }
            }
        }
        for r in results.dropFirst() {
            #expect(close(r.nodes, results[0].nodes), "seed \(seed): layer bounds differ with more threads")
            let one = c.analysis.splitLayerBounds(c.box, parent: nil, splits: c.splits, reuseBefore: 0, slopes: results[0].slopes)
            let many = c.analysis.splitLayerBounds(c.box, parent: nil, splits: c.splits, reuseBefore: 0, slopes: r.slopes)
            #expect(one != nil && many != nil && close(one!, many!), "seed \(seed): a sub-domain's bounds differ with the slopes of more threads")
        }
    }

    /// The split term's sign, on one neuron z = x over x in [-1, 1] where the answer is known:
    /// out = -relu(z) with z >= 0 (minimum -1 at x = 1) and out = relu(z) + z with z <= 0
    /// (minimum -1 at x = -1). With the row's coefficient on z equal to -1 (active) or +1
    /// (inactive), a wrong sign would cancel it at beta = 1 and bound the minimum by 0. Every
    /// multiplier on the grid must give a bound <= -1.
    @Test(arguments: [true, false])
    func splitTermKeepsItsSign(active: Bool) {
        var nodes = [Node(name: "z", opType: "Gemm", layer: Dense(outputs: 1, inputs: 1, weights: [1], bias: nil), inputs: [.input], shape: [1, 1]),
                     Node(name: "r", opType: "Relu", layer: ReLU(size: 1), inputs: [.node(0)], shape: [1, 1])]
        if active {
            nodes.append(Node(name: "y", opType: "Gemm", layer: Dense(outputs: 1, inputs: 1, weights: [-1], bias: nil), inputs: [.node(1)], shape: [1, 1]))
        } else {
            nodes.append(Node(name: "y", opType: "Add", layer: Sum(size: 1), inputs: [.node(1), .node(0)], shape: [1, 1]))
        }
        let network = Network(name: "one", inputName: "x", inputShape: [1, 1], outputName: "y", nodes: nodes, output: 2)
        let analysis = BoundAnalysis(network: network)
        let box = Bounds(lower: [-1], upper: [1])
        let split = NeuronSplit(node: 0, neuron: 0, active: active)
        guard let bounds = analysis.splitLayerBounds(box, parent: nil, splits: [split], reuseBefore: 0) else {
            Issue.record("the sub-domain was reported empty")
            return
        }
        let rows = LinearRows(rows: 1, columns: 1, values: [1])
        var m = ReLUMultipliers(rows: 1, relus: [(1, 0)], nodes: bounds, splits: [split])
        for beta in stride(from: 0.0, through: 3, by: 0.125) {
            m.beta[0] = [beta]
            let pass = analysis.substitute(rows, at: 2, box: box, nodes: bounds, capturing: [], multipliers: m)
            let low = pass.input.map { $0.minimum(over: box, plus: pass.constant) } ?? pass.constant
            #expect(low[0] <= -1, "split \(active ? "active" : "inactive"), beta \(beta): bound \(low[0]) above the minimum -1")
        }
        // The concrete minimum is attained in the sub-domain.
        #expect(Double(network.evaluate([active ? 1 : -1])[0]) == -1)
    }

    /// The optimiser does something: over these seeds the layer bounds get tighter than CROWN's
    /// and the output bounds higher than CROWN's on those tightened layers.
    @Test func optimisationTightens() {
        var layerGain = 0.0, outputGain = 0.0, slopeGain = 0.0
        for seed in UInt64(1)...8 {
            guard let c = Self.subdomain(seed: seed) else { continue }
            // The root's slopes against CROWN's defaults, both from scratch on the sub-domain.
            if let plain = c.analysis.splitLayerBounds(c.box, parent: nil, splits: c.splits, reuseBefore: 0) {
                for i in plain.indices where !plain[i].lower.isEmpty {
                    for j in plain[i].lower.indices {
                        slopeGain += (c.withRootSlopes[i].lower[j] - plain[i].lower[j]) + (plain[i].upper[j] - c.withRootSlopes[i].upper[j])
                    }
                }
            }
            for i in c.crown.indices where !c.crown[i].lower.isEmpty {
                for j in c.crown[i].lower.indices {
                    layerGain += (c.tightened[i].lower[j] - c.crown[i].lower[j]) + (c.crown[i].upper[j] - c.tightened[i].upper[j])
                    #expect(c.tightened[i].lower[j] >= c.crown[i].lower[j] && c.tightened[i].upper[j] <= c.crown[i].upper[j],
                            "seed \(seed): optimised layer bounds looser than CROWN's at node \(i)")
                }
            }
            var rng = SplitMix64(seed: seed &+ 5)
            let rows = Self.rows(&rng, count: 4, columns: 5)
            let relus = Self.relus(c.network)
            let start = ReLUMultipliers(rows: 4, relus: relus, nodes: c.tightened, splits: c.splits)
            let plain = c.analysis.lowerBounds(of: rows, at: c.network.output, box: c.box, nodes: c.tightened)
            let optimized = c.analysis.optimizedLowerBounds(rows, box: c.box, nodes: c.tightened, relus: relus, start: start, steps: 40) { _ in false }
            outputGain += zip(optimized.lows, plain).map { $0 - $1 }.reduce(0, +)
        }
        #expect(layerGain > 0, "alpha-CROWN never tightened a layer bound")
        #expect(outputGain > 0, "alpha, beta-CROWN never raised an output bound")
        #expect(slopeGain > 0, "the root's slopes never tightened a sub-domain's layer bounds")
    }
}
