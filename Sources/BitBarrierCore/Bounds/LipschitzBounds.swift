/// Sound global upper bounds on Lipschitz constants of a network, layer by layer, and the
/// certified radius they imply.
///
/// Per layer, an upper bound of the operator norm, computed with every operation rounded up:
/// - L-infinity: ||W||_inf = max_i sum_j |W_ij| (exact formula of the induced norm);
/// - L2: min(||W||_F, sqrt(||W||_1 ||W||_inf)) (both are upper bounds of the spectral norm; no
///   power iteration, whose result is only an estimate from below).
/// ReLU, Tanh and MaxPool are 1-Lipschitz in both norms, Sigmoid 1/4; an elementwise scale
/// contributes max |s| (times 1 + its relative error); Reshape 1. The network constant is the
/// product along a chain (a residual or quantized network gets none: rounding is not Lipschitz).
///
/// Certified radius: for the margin m_j(x) = f_y(x) - f_j(x), with L_j a Lipschitz constant of
/// m_j in the input's L-infinity norm, m_j(x0 + d) >= m_j(x0) - L_j |d|_inf, so every j keeps
/// m_j > 0 for |d|_inf < min_j m_j(x0) / L_j. L_j is bounded by ||(e_y - e_j)^T W_out||_1 times
/// the product of the earlier layers' L-infinity norms. The margins at x0 are taken as their sound
/// lower bounds over the point box {x0} (IBP, real arithmetic with error terms).
/// Proofs/Lipschitz.md.
public struct LipschitzBounds: Sendable {
    public struct LayerNorms: Sendable {
        public var node: Int
        public var lInf: Double
        public var l2: Double
    }

    public let layers: [LayerNorms]
    /// Product of all layers' bounds (nil when the network is not a supported chain).
    public let networkLInf: Double?
    public let networkL2: Double?
    let network: Network

    public init(network: Network) {
        self.network = network
        var norms: [LayerNorms] = []
        var chain = true
        for (i, node) in network.nodes.enumerated() {
            if node.inputs.count != 1 || (i > 0 && node.inputs[0] != .node(i - 1)) || (i == 0 && node.inputs[0] != .input) { chain = false }
            guard let n = Self.norms(node.layer) else { chain = false; continue }
            norms.append(LayerNorms(node: i, lInf: n.0, l2: n.1))
        }
        layers = norms
        if chain && network.output == network.nodes.count - 1 {
            networkLInf = norms.reduce(1.0) { ($0 * $1.lInf).nextUp }
            networkL2 = norms.reduce(1.0) { ($0 * $1.l2).nextUp }
        } else {
            networkLInf = nil
            networkL2 = nil
        }
    }

    static func up(_ x: Double) -> Double { x.nextUp }

    /// (L-infinity, L2) operator-norm upper bounds of one layer, or nil if it has none.
    static func norms(_ layer: any Layer) -> (Double, Double)? {
        switch layer {
        case let a as any AffineLayer: return matrixNorms(a.map)
        case let s as ScaleShift:
            let m = (s.scale.map(abs).max() ?? 0) * (1 + s.scaleError) * (1 + 4 * FloatError.unitRoundoff)
            return (m.nextUp, m.nextUp)
        case is ReLU, is Tanh, is Reshape: return (1, 1)
        case is MaxPool: return (1, Double.infinity)  // L2 of overlapping windows: not bounded here
        case is Sigmoid: return (0.25, 0.25)
        default: return nil
        }
    }

    /// Induced norms of W (times 1 + rho for the weight error), every sum rounded up.
    static func matrixNorms(_ map: AffineMap) -> (Double, Double) {
        var rowSums = [Double](repeating: 0, count: map.outputs)
        var colSums = [Double](repeating: 0, count: map.inputs)
        var frob = 0.0
        func add(_ i: Int, _ j: Int, _ w: Double) {
            let a = abs(w)
            rowSums[i] = (rowSums[i] + a).nextUp
            colSums[j] = (colSums[j] + a).nextUp
            frob = (frob + (a * a).nextUp).nextUp
        }
        switch map.storage {
        case .dense(let w):
            for i in 0..<map.outputs { for j in 0..<map.inputs { add(i, j, w[i * map.inputs + j]) } }
        case .sparse(let rs, let col, let val):
            for i in 0..<map.outputs { for e in rs[i]..<rs[i + 1] { add(i, col[e], val[e]) } }
        }
        let inflate = (1 + map.weightRelativeError) * (1 + 4 * FloatError.unitRoundoff)
        let lInf = ((rowSums.max() ?? 0) * inflate).nextUp
        let l1 = ((colSums.max() ?? 0) * inflate).nextUp
        let f = (frob.squareRoot().nextUp * inflate).nextUp
        let mixed = ((lInf * l1).nextUp.squareRoot().nextUp)
        return (lInf, min(f, mixed))
    }

    /// Lipschitz upper bound of logit_label - logit_j in the input's L-infinity norm, per j.
    public func marginConstants(label: Int) -> [Double]? {
        guard networkLInf != nil, let last = network.nodes.last?.layer as? any AffineLayer else { return nil }
        // Everything before the output layer, then the output rows' difference in L1.
        let before = layers.dropLast().reduce(1.0) { ($0 * $1.lInf).nextUp }
        let map = last.map
        guard case .dense(let w) = map.storage else { return nil }
        let inflate = (1 + map.weightRelativeError) * (1 + 4 * FloatError.unitRoundoff)
        return (0..<map.outputs).map { j -> Double in
            if j == label { return 0 }
            var s = 0.0
            for k in 0..<map.inputs { s = (s + abs(w[label * map.inputs + k] - w[j * map.inputs + k]).nextUp).nextUp }
            return (s * inflate * before).nextUp
        }
    }

    /// The radius below which the label provably holds (for the real-arithmetic function).
    public func certifiedRadius(center: [Float], label: Int) -> Double {
        guard let l = marginConstants(label: label) else { return 0 }
        let rows = BoundAnalysis.marginRows(label: label, classes: network.outputSize)
        let margins = BoundAnalysis(network: network).outputLowerBounds(rows, box: Bounds(point: center), method: .ibp)
        var r = Double.infinity
        var row = 0
        for j in 0..<network.outputSize where j != label {
            let m = margins[row]
            row += 1
            guard m > 0 else { return 0 }
            if l[j] > 0 { r = min(r, (m / l[j]).nextDown) }
        }
        return r.isFinite ? r : 0
    }
}
