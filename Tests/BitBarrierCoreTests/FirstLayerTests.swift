@testable import BitBarrierCore
import Testing

/// `FirstLayer`'s fused step (backward through the first dense layer and minimum over the box
/// in one, Proofs/AffineMap.md) against the exact minimum of each row, computed at the row's
/// minimising corner: never above it (sound) and within 1e-9 of it (the same bound as the
/// unfused route, which is checked too).
@Suite struct FirstLayerTests {
    /// a . (W x + b) + c in double at a point x: exact to ~1e-13 for these sizes.
    static func value(_ a: [Double], _ map: AffineMap, _ x: [Double], plus c: Double) -> Double {
        guard case .dense(let w) = map.storage else { return .nan }
        var total = c
        for k in 0..<map.outputs where a[k] != 0 {
            var y = map.bias[k]
            for j in 0..<map.inputs { y += w[k * map.inputs + j] * x[j] }
            total += a[k] * y
        }
        return total
    }

    /// The wide test network's `FirstLayer`, its map and dense weights.
    static func firstLayer(seed: UInt64) throws -> (FirstLayer, AffineMap, [Double]) {
        let network = TestNetworks.wide(seed: seed)
        let first = try #require(BoundAnalysis(network: network).firstLayer)
        let map = (network.nodes[first.node].layer as! Dense).map
        guard case .dense(let w) = map.storage else { throw FirstLayerTestError.notDense }
        return (first, map, w)
    }

    enum FirstLayerTestError: Error { case notDense }

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func fusedBoundIsTheRowMinimum(seed: UInt64) throws {
        let (first, map, w) = try Self.firstLayer(seed: seed)
        var rng = SplitMix64(seed: seed &+ 99)
        for (eps, deadColumns) in [(0.05, 0.0), (0.3, 0.4), (2.0, 0.7)] {
            let box = Bounds(center: rng.floats(map.inputs), epsilon: eps)
            // Rows with whole columns zero (inactive first-layer neurons) take the compacted product.
            let dead = (0..<map.outputs).map { _ in Double.random(in: 0..<1, using: &rng) < deadColumns }
            let rows = 6
            var values = rng.floats(rows * map.outputs, scale: 3).map(Double.init)
            for r in 0..<rows { for k in 0..<map.outputs where dead[k] { values[r * map.outputs + k] = 0 } }
            let a = LinearRows(rows: rows, columns: map.outputs, values: values)
            let constant = rng.floats(rows).map(Double.init)
            let fused = try #require(first.lowerBounds(a, box: box, plus: constant))
            let step = map.backward(a, input: box)
            let unfusedConstant = zip(constant, step.constant).map { ($0 + $1).nextDown }
            let unfused = step.inputs[0]!.minimum(over: box, plus: unfusedConstant)
            for r in 0..<rows {
                let row = Array(values[r * map.outputs..<(r + 1) * map.outputs])
                // The minimising corner: x_j = l_j where (a W)_j > 0, else u_j.
                let corner = (0..<map.inputs).map { j -> Double in
                    var g = 0.0
                    for k in 0..<map.outputs { g += row[k] * w[k * map.inputs + j] }
                    return g > 0 ? box.lower[j] : box.upper[j]
                }
                let minimum = Self.value(row, map, corner, plus: constant[r])
                let scale = 1e-9 * max(1, abs(minimum))
                #expect(fused[r] <= minimum + 1e-12 * max(1, abs(minimum)), "row \(r): bound \(fused[r]) above the minimum \(minimum)")
                #expect(fused[r] >= minimum - scale, "row \(r): bound \(fused[r]) looser than \(minimum) by more than 1e-9")
                #expect(abs(fused[r] - unfused[r]) <= scale)
                // Random points of the box stay above the bound.
                for _ in 0..<50 {
                    let x = (0..<map.inputs).map { Double.random(in: box.lower[$0]...box.upper[$0], using: &rng) }
                    #expect(fused[r] <= Self.value(row, map, x, plus: constant[r]))
                }
            }
        }
    }

    /// The interval image from the box's image: each neuron's exact range (at the corners
    /// minimising and maximising it) lies inside, within 1e-9, as IBP's own does.
    @Test(arguments: [UInt64(1), 2])
    func intervalImageIsTheExactRange(seed: UInt64) throws {
        let (first, map, w) = try Self.firstLayer(seed: seed)
        var rng = SplitMix64(seed: seed &+ 5)
        for eps in [0.01, 0.5] {
            let box = Bounds(center: rng.floats(map.inputs), epsilon: eps)
            let image = try #require(first.intervalBounds(box))
            let ibp = map.propagate(box)
            for i in 0..<map.outputs {
                var low = map.bias[i], high = map.bias[i]
                for j in 0..<map.inputs {
                    let x = w[i * map.inputs + j]
                    low += x * (x > 0 ? box.lower[j] : box.upper[j])
                    high += x * (x > 0 ? box.upper[j] : box.lower[j])
                }
                let scale = 1e-9 * max(1, abs(low), abs(high))
                #expect(image.lower[i] <= low + 1e-12 && image.upper[i] >= high - 1e-12, "neuron \(i): [\(image.lower[i]), \(image.upper[i])] misses [\(low), \(high)]")
                #expect(image.lower[i] >= low - scale && image.upper[i] <= high + scale)
                #expect(abs(image.lower[i] - ibp.lower[i]) <= scale && abs(image.upper[i] - ibp.upper[i]) <= scale)
            }
        }
    }

    @Test func unitRowsAndUnboundedBoxesTakeTheLayersOwnStep() throws {
        let network = TestNetworks.wide(seed: 5)
        let first = try #require(BoundAnalysis(network: network).firstLayer)
        let box = Bounds(center: [Float](repeating: 0, count: 100), epsilon: 0.1)
        #expect(first.lowerBounds(LinearRows.identity(80, sign: 1, selecting: [3, 7]), box: box, plus: [0, 0]) == nil)
        var open = box
        open.upper[4] = .infinity
        let a = LinearRows(rows: 1, columns: 80, values: [Double](repeating: 1, count: 80))
        #expect(first.lowerBounds(a, box: open, plus: [0]) == nil)
    }

    /// Only a dense layer that alone reads the input (through reshapes) qualifies.
    @Test func firstLayerNeedsASoleDenseReader() {
        var network = TestNetworks.wide(seed: 6)
        #expect(BoundAnalysis(network: network).firstLayer != nil)
        // A second reader of the flattened input: passes no longer all cross node 1.
        network.nodes[3].inputs = [.node(0)]
        network.nodes[3].layer = Dense(outputs: 64, inputs: 100, weights: [Float](repeating: 0.01, count: 6400), bias: nil)
        #expect(BoundAnalysis(network: network).firstLayer == nil)
        #expect(BoundAnalysis(network: TestNetworks.mlp(seed: 1)).firstLayer == nil)
    }
}

/// `CompactedWeights` serves a layer's passes from one copy: a warm cache must give exactly what
/// a fresh map gives, for other input bounds with the same live sets (v differs) and for other
/// row sets.
@Suite struct CompactedWeightsTests {
    @Test func warmCacheGivesTheFreshResult() {
        var rng = SplitMix64(seed: 11)
        let dense = TestNetworks.dense(&rng, 80, 100)
        let map = dense.map
        // Rows with a third of the columns zero (compacted path); inputs 10..<40 bounded [0, 0].
        var values = rng.floats(5 * 80).map(Double.init)
        for r in 0..<5 { for k in stride(from: 0, to: 80, by: 3) { values[r * 80 + k] = 0 } }
        let a = LinearRows(rows: 5, columns: 80, values: values)
        func box(_ scale: Double) -> Bounds {
            var b = Bounds(center: rng.floats(100), epsilon: scale)
            for j in 10..<40 { b.lower[j] = 0; b.upper[j] = 0 }
            return b
        }
        let (x1, x2) = (box(0.1), box(0.7))
        let other = LinearRows(rows: 1, columns: 80, values: rng.floats(80).map(Double.init))
        _ = map.backward(a, input: x1)  // fills the cache for x1's magnitudes
        for (rows, x) in [(a, x2), (other, x1), (a, x1)] {
            let warm = map.backward(rows, input: x)
            let fresh = AffineMap(outputs: 80, inputs: 100, storage: map.storage, bias: map.bias).backward(rows, input: x)
            #expect(warm.constant == fresh.constant)
            #expect(warm.inputs[0]!.values == fresh.inputs[0]!.values)
        }
    }
}
