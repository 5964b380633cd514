import BitBarrierCore
import BitBarrierData
import Foundation

/// A float32 input inside one box of a VNN-LIB property whose concrete output is unsafe.
///
/// The only way to make one is ``VNNWitness/replay(_:network:spec:caseIndex:)``: the input is
/// checked against the box in exact arithmetic (`lower <= Double(x) <= upper`) and the output is
/// the float32 network's own, so holding a witness means the violation was observed on the
/// concrete model (the VNN-COMP checker re-runs it in onnxruntime, within 1e-4).
public struct VNNWitness: Sendable {
    /// The case (input box) the witness lies in.
    public let caseIndex: Int
    public let input: [Float]
    public let output: [Float]
    /// How deep inside the unsafe region the output lies: the largest `-(c . y + d)` over the
    /// satisfied conjunctions' worst constraint (> 0 unless a non-strict constraint is tight).
    public let depth: Double

    /// Replays `x` on the concrete network; a witness only if x lies in the case's box and the
    /// output meets the case's unsafe condition (strict constraints strictly).
    public static func replay(_ x: [Float], network: Network, spec: VNNLibSpec, caseIndex: Int) -> VNNWitness? {
        let c = spec.cases[caseIndex]
        guard x.count == c.lower.count, c.contains(input: x.map(Double.init)) else { return nil }
        let y = network.evaluate(x)
        let yd = y.map(Double.init)
        guard yd.allSatisfy(\.isFinite), c.isUnsafe(output: yd) else { return nil }
        var depth = -Double.infinity
        for conj in c.outputDisjuncts where conj.allSatisfy({ $0.holds(for: yd) }) {
            depth = max(depth, -(conj.map { $0.value(at: yd) }.max() ?? -Double.infinity))
        }
        return VNNWitness(caseIndex: caseIndex, input: x, output: y, depth: depth)
    }

    /// Replays a real point of the box [lower, upper] (which may be a sub-box of the case's)
    /// after rounding it to a float32 point of that box.
    public static func replay(real x: [Double], lower: [Double], upper: [Double], network: Network, spec: VNNLibSpec,
                              caseIndex: Int) -> VNNWitness? {
        guard let p = float32Point(x, lower: lower, upper: upper) else { return nil }
        return replay(p, network: network, spec: spec, caseIndex: caseIndex)
    }

    /// The float32 value nearest `v` that lies in [lo, hi], or nil if no float32 does.
    public static func float(_ v: Double, inside lo: Double, _ hi: Double) -> Float? {
        var f = Float(min(max(v, lo), hi))
        if Double(f) < lo { f = f.nextUp }
        if Double(f) > hi { f = f.nextDown }
        return Double(f) >= lo && Double(f) <= hi ? f : nil
    }

    /// A real point of a box rounded to a float32 point of the box (nil if the box holds none).
    public static func float32Point(_ x: [Double], lower: [Double], upper: [Double]) -> [Float]? {
        var result = [Float]()
        result.reserveCapacity(x.count)
        for i in x.indices {
            guard let f = float(x[i], inside: lower[i], upper[i]) else { return nil }
            result.append(f)
        }
        return result
    }
}

/// Searches for a VNN-LIB counterexample: box centre, corners and boundary samples (for at most
/// `maxCornerInputs` inputs), uniform random samples, then sign-gradient descent on each
/// conjunction's violation `max_k (c_k . y + d_k)` (the conjunction holds when it is <= 0).
///
/// Boundary samples clamp each input to one of its bounds with probability `boundaryShare`
/// (drawing the others uniformly): they land on the box's faces, edges and lower-dimensional
/// faces. A ReLU network is piecewise linear, so the minimum of a violation over a linear piece
/// lies at a vertex of that piece inside the box, and those crowd the box's faces. On ACAS Xu
/// 1_9 property 7 (witnesses within 0.003 of one face, in pockets ~0.01 wide) 100,000 samples
/// hit 0 (uniform), 7, 47, 125 and 199 times for shares 0.2, 0.35, 0.5 and 0.65; descent from
/// 2,000 random starts never did.
///
/// Then a continuation descent (``descendLeaky``) per conjunction: Adam on the violation of the
/// network with every ReLU made leaky, the leak annealed to 0. Sign descent sees no gradient
/// through inactive neurons; where the label hangs on neurons that must be switched on (mnist_fc
/// 256x6 property 1 at 0.05: one active neuron in the fifth layer at the centre), it stalls at a
/// margin of 0.81, while the leaky descent reaches the unsafe region from 97% of random starts
/// (torch experiment, 200 starts, 100 steps; 90% with Adam at 40 steps).
///
/// Every candidate is replayed by ``VNNWitness/replay(_:network:spec:caseIndex:)``; after a
/// first hit the descent continues a few steps and keeps the deepest replayed point, so the
/// witness does not sit on the boundary where onnxruntime's rounding could disagree. A failed
/// search proves nothing.
public struct Falsifier: Sendable {
    public var randomSamples: Int
    public var steps: Int
    public var restarts: Int
    public var maxCornerInputs: Int
    /// Samples on the box's boundary (taken only when the corners are).
    public var boundarySamples: Int
    /// The chance that a boundary sample clamps an input to one of its bounds.
    public var boundaryShare: Double
    public var seed: UInt64
    /// Continuation descents per conjunction (from the centre, then random starts; 0 turns them
    /// off) and their leak at the start.
    public var leakyRestarts: Int
    public var leak: Float

    public init(randomSamples: Int = 256, steps: Int = 40, restarts: Int = 4, maxCornerInputs: Int = 10,
                boundarySamples: Int = 4096, boundaryShare: Double = 0.65, seed: UInt64 = 0,
                leakyRestarts: Int = 2, leak: Float = 0.1) {
        self.leakyRestarts = leakyRestarts
        self.leak = leak
        self.randomSamples = randomSamples
        self.boundarySamples = boundarySamples
        self.boundaryShare = boundaryShare
        self.steps = steps
        self.restarts = restarts
        self.maxCornerInputs = maxCornerInputs
        self.seed = seed
    }

    /// Runs the whole search on every case until a witness is found or the deadline passes.
    public func search(network: Network, spec: VNNLibSpec, deadline: ContinuousClock.Instant) -> VNNWitness? {
        var rng = SplitMix64(seed: seed)
        for ci in spec.cases.indices {
            let c = spec.cases[ci]
            let centre = c.lower.indices.map { 0.5 * (c.lower[$0] + c.upper[$0]) }
            if let w = check(centre, network: network, spec: spec, caseIndex: ci) { return w }
            let n = c.lower.count
            if n <= maxCornerInputs {
                for mask in 0..<(1 << n) {
                    let x = (0..<n).map { mask & (1 << $0) != 0 ? c.upper[$0] : c.lower[$0] }
                    if let w = check(x, network: network, spec: spec, caseIndex: ci) { return w }
                }
            }
            for _ in 0..<randomSamples {
                let x = (0..<n).map { c.lower[$0] + rng.unit() * (c.upper[$0] - c.lower[$0]) }
                if let w = check(x, network: network, spec: spec, caseIndex: ci) { return w }
            }
            if ContinuousClock.now >= deadline { return nil }
            if n <= maxCornerInputs {
                for s in 0..<boundarySamples {
                    let x = (0..<n).map { j -> Double in
                        if rng.unit() < boundaryShare { return rng.unit() < 0.5 ? c.lower[j] : c.upper[j] }
                        return c.lower[j] + rng.unit() * (c.upper[j] - c.lower[j])
                    }
                    if let w = check(x, network: network, spec: spec, caseIndex: ci) { return w }
                    if s % 256 == 255 && ContinuousClock.now >= deadline { return nil }
                }
            }
        }
        // Sign descents (from the centre, then random starts), then leaky continuation descents
        // where the network has ReLUs to switch on.
        let leaky = network.nodes.contains(where: { $0.layer is ReLU }) ? leakyRestarts : 0
        for (count, isLeaky) in [(restarts + 1, false), (leaky, true)] {
            for ci in spec.cases.indices {
                for conj in spec.cases[ci].outputDisjuncts.indices {
                    for restart in 0..<count {
                        if ContinuousClock.now >= deadline { return nil }
                        let c = spec.cases[ci]
                        let start = restart == 0
                            ? c.lower.indices.map { 0.5 * (c.lower[$0] + c.upper[$0]) }
                            : c.lower.indices.map { c.lower[$0] + rng.unit() * (c.upper[$0] - c.lower[$0]) }
                        let w = isLeaky
                            ? descendLeaky(from: start, lower: c.lower, upper: c.upper, conjunction: conj,
                                           network: network, spec: spec, caseIndex: ci, steps: steps)
                            : descend(from: start, lower: c.lower, upper: c.upper, conjunction: conj,
                                      network: network, spec: spec, caseIndex: ci, steps: steps)
                        if let w { return w }
                    }
                }
            }
        }
        return nil
    }

    /// Continuation descent: Adam (step 0.1 of each input's width) on one conjunction's
    /// violation in the network whose ReLUs are leaky, max(x, s x), with s going linearly from
    /// `leak` to 0 over the first 70% of the steps; every iterate is replayed on the concrete
    /// network. Returns the deepest replayed witness met.
    public func descendLeaky(from start: [Double], lower: [Double], upper: [Double], conjunction: Int,
                             network: Network, spec: VNNLibSpec, caseIndex: Int, steps: Int) -> VNNWitness? {
        let constraints = spec.cases[caseIndex].outputDisjuncts[conjunction]
        guard !constraints.isEmpty, var x = VNNWitness.float32Point(start, lower: lower, upper: upper) else { return nil }
        var real = x.map(Double.init)
        var m = [Double](repeating: 0, count: x.count), v = m
        let (beta1, beta2) = (0.9, 0.999)
        var best: VNNWitness? = nil
        for step in 0..<steps {
            let s = max(0, leak * (1 - Float(step) / (0.7 * Float(steps))))
            let y = (s > 0 ? network.evaluateAll(x, reluLeak: s)[network.output] : network.evaluate(x)).map(Double.init)
            let worst = constraints.indices.max { constraints[$0].value(at: y) < constraints[$1].value(at: y) }!
            let g = network.gradient(at: x, outputWeights: constraints[worst].coefficients, reluLeak: s).gradient
            let t = Double(step + 1)
            for i in x.indices {
                m[i] = beta1 * m[i] + (1 - beta1) * g[i]
                v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
                let mh = m[i] / (1 - pow(beta1, t)), vh = v[i] / (1 - pow(beta2, t))
                real[i] = min(max(real[i] - 0.1 * (upper[i] - lower[i]) * mh / (vh.squareRoot() + 1e-12), lower[i]), upper[i])
            }
            guard let p = VNNWitness.float32Point(real, lower: lower, upper: upper) else { break }
            x = p
            if let w = VNNWitness.replay(x, network: network, spec: spec, caseIndex: caseIndex), best == nil || w.depth > best!.depth {
                best = w
            }
            if best != nil && s == 0 { break }
        }
        return best
    }

    /// Sign-gradient descent on one conjunction's violation inside a box (which may be a sub-box
    /// of the case's); returns the deepest replayed witness met on the way.
    public func descend(from start: [Double], lower: [Double], upper: [Double], conjunction: Int,
                        network: Network, spec: VNNLibSpec, caseIndex: Int, steps: Int) -> VNNWitness? {
        let constraints = spec.cases[caseIndex].outputDisjuncts[conjunction]
        guard let first = VNNWitness.float32Point(start, lower: lower, upper: upper) else { return nil }
        var x = first
        var best: VNNWitness? = nil
        var extra = 0
        for step in 0..<steps {
            if let w = VNNWitness.replay(x, network: network, spec: spec, caseIndex: caseIndex) {
                if best == nil || w.depth > best!.depth { best = w }
            }
            if best != nil {
                extra += 1
                if extra > 8 { break }
            }
            let y = network.evaluate(x).map(Double.init)
            // The constraint that is worst violated drives the step (an empty conjunction
            // always holds, so the replay above has already returned).
            guard let worst = constraints.indices.max(by: { constraints[$0].value(at: y) < constraints[$1].value(at: y) }) else { break }
            let g = network.gradient(at: x, outputWeights: constraints[worst].coefficients).gradient
            let alpha = step < steps / 2 ? 0.1 : (step < 3 * steps / 4 ? 0.03 : 0.01)
            var next = [Double](repeating: 0, count: x.count)
            for i in x.indices {
                let w = upper[i] - lower[i]
                let s: Double = g[i] > 0 ? 1 : (g[i] < 0 ? -1 : 0)
                next[i] = min(max(Double(x[i]) - alpha * w * s, lower[i]), upper[i])
            }
            guard let p = VNNWitness.float32Point(next, lower: lower, upper: upper) else { break }
            x = p
        }
        if let w = VNNWitness.replay(x, network: network, spec: spec, caseIndex: caseIndex), best == nil || w.depth > best!.depth {
            best = w
        }
        return best
    }

    /// Replays a real point after rounding it into the box.
    func check(_ x: [Double], network: Network, spec: VNNLibSpec, caseIndex: Int) -> VNNWitness? {
        let c = spec.cases[caseIndex]
        return VNNWitness.replay(real: x, lower: c.lower, upper: c.upper, network: network, spec: spec, caseIndex: caseIndex)
    }
}
