import BitBarrierCore

/// The LP (or MILP) encoding of a network over a box, given sound bounds of every node.
///
/// Variables: the input (the box's bounds) and every node's output (its proven bounds). Rows:
/// - affine layers (AffineMap, ScaleShift): z_i - sum_j W_ij x_j in [b_i - s_i, b_i + s_i], where
///   s_i = rho (|W| m)_i covers the relative weight error rho (0 for the model's own weights);
/// - Sum: y - x1 -/+ x2 = 0; Reshape and Concat reuse the input variables (no rows);
/// - ReLU: stable neurons exactly (y = z, or y fixed to 0); unstable ones by the triangle
///   y >= 0, y >= z, y <= s z + t (the sound line of `ReLU.relaxation`), or, with `exactReLU`,
///   by the big-M encoding with a binary d: y <= z - l (1 - d), y <= u d, y >= z, y >= 0;
/// - Sigmoid, Tanh: their sound linear lines; QuantizeLinear: its lines (the rounding's +/- 1/2
///   band, or a constant bin), or, with `exact`, an integer variable per rounded value with the
///   rounding band and binaries for saturation (`encodeExactQuantizer`).
/// MaxPool is not encoded.
/// Every row is satisfied by the real network's values (with bounds that contain them), so the
/// LP's feasible set contains the graph of the network over the box. Proofs/NetworkLP.md.
public struct NetworkLP: Sendable {
    public var program: LinearProgram
    /// Variable index of each element of the input.
    public var inputVariables: [Int]
    /// Variable indices of each node's elements (empty past `last`).
    public var nodeVariables: [[Int]]
    /// Binary variables of unstable ReLUs and saturating quantizers (exact encoding only).
    public var binaryCount: Int
    /// General integer variables: the rounded values of quantizers (exact encoding only).
    public var integerCount: Int
    /// The triangle of each unstable ReLU neuron (LP encoding only): its node, neuron, output y,
    /// input z and the row of its upper line y - s z <= t (``SubdomainLP`` re-slopes it).
    public var triangles: [Triangle] = []

    public struct Triangle: Sendable {
        public let node: Int
        public let neuron: Int
        public let output: Int
        public let input: Int
        public let upperRow: Int
    }

    public enum EncodingError: Error, CustomStringConvertible {
        case unsupported(String)
        public var description: String {
            switch self {
            case .unsupported(let s): return "the LP encoding does not support \(s)"
            }
        }
    }

    /// Encodes nodes 0...last; `exact` encodes ReLUs and quantizers with integer variables (MILP).
    public init(network: Network, box: Bounds, bounds: [Bounds], last: Int, exact: Bool = false) throws {
        var lp = LinearProgram()
        let inputVars = (0..<box.count).map { lp.addVariable(lower: box.lower[$0], upper: box.upper[$0]) }
        var vars: [[Int]] = []
        var binaries = 0, integers = 0
        var triangles: [Triangle] = []
        func ref(_ r: ValueRef) -> [Int] {
            switch r {
            case .input: return inputVars
            case .node(let k): return vars[k]
            }
        }
        func newVariables(_ b: Bounds) -> [Int] {
            (0..<b.count).map { lp.addVariable(lower: b.lower[$0], upper: b.upper[$0]) }
        }
        func inputBounds(_ r: ValueRef) -> Bounds {
            switch r {
            case .input: return box
            case .node(let k): return bounds[k]
            }
        }
        for (k, node) in network.nodes.enumerated() {
            if k > last { break }
            let layer = node.layer
            let b = bounds[k]
            let ins = node.inputs.map(ref)
            switch layer {
            case let l as any AffineLayer:
                let out = newVariables(b)
                Self.encode(l.map, input: ins[0], output: out, inputBounds: inputBounds(node.inputs[0]), into: &lp)
                vars.append(out)
            case let s as ScaleShift:
                let out = newVariables(b)
                let m = inputBounds(node.inputs[0]).magnitude
                for i in out.indices {
                    let slack = (s.scaleError * abs(s.scale[i]) * m[i] * (1 + 4 * FloatError.unitRoundoff)).nextUp
                    lp.addRow(columns: [out[i], ins[0][i]], coefficients: [1, -s.scale[i]],
                              lower: (s.shiftLower[i] - slack).nextDown, upper: (s.shiftUpper[i] + slack).nextUp)
                }
                vars.append(out)
            case is Reshape:
                vars.append(ins[0])
            case let c as Concat:
                var out = [Int](repeating: 0, count: c.size)
                for (p, positions) in c.positions.enumerated() { for (i, o) in positions.enumerated() { out[o] = ins[p][i] } }
                vars.append(out)
            case let s as Sum:
                let out = newVariables(b)
                for i in out.indices {
                    lp.addRow(columns: [out[i], ins[0][i], ins[1][i]], coefficients: [1, -1, s.subtract ? 1 : -1], lower: 0, upper: 0)
                }
                vars.append(out)
            case let r as ReLU:
                let z = inputBounds(node.inputs[0])
                let relax = r.relaxation(z)
                var out: [Int] = []
                for i in 0..<r.size {
                    let (l, u) = (z.lower[i], z.upper[i])
                    if l >= 0 {
                        out.append(ins[0][i])  // y = z exactly
                    } else if u <= 0 {
                        out.append(lp.addVariable(lower: 0, upper: 0))
                    } else {
                        let y = lp.addVariable(lower: 0, upper: max(0, min(b.upper[i], u.nextUp)))
                        lp.addRow(columns: [y, ins[0][i]], coefficients: [1, -1], lower: 0)
                        if exact {
                            let d = lp.addVariable(lower: 0, upper: 1, integer: true)
                            binaries += 1
                            // y <= z - l (1 - d)  <=>  y - z - l d <= -l ;  y <= u d.
                            lp.addRow(columns: [y, ins[0][i], d], coefficients: [1, -1, -l], upper: -l)
                            lp.addRow(columns: [y, d], coefficients: [1, -u], upper: 0)
                        } else {
                            lp.addRow(columns: [y, ins[0][i]], coefficients: [1, -relax.upperSlope[i]], upper: relax.upperIntercept[i])
                            triangles.append(Triangle(node: k, neuron: i, output: y, input: ins[0][i], upperRow: lp.rows.count - 1))
                        }
                        out.append(y)
                    }
                }
                vars.append(out)
            case let a as Sigmoid:
                vars.append(Self.encodeLines(a.relaxation(inputBounds(node.inputs[0])), input: ins[0], bounds: b, into: &lp))
            case let a as Tanh:
                vars.append(Self.encodeLines(a.relaxation(inputBounds(node.inputs[0])), input: ins[0], bounds: b, into: &lp))
            case let q as QuantizeLinear where exact:
                let (out, ints, bins) = Self.encodeExactQuantizer(q, input: ins[0], inputBounds: inputBounds(node.inputs[0]), into: &lp)
                vars.append(out)
                integers += ints
                binaries += bins
            case let q as QuantizeLinear:
                vars.append(Self.encodeLines(q.relaxation(inputBounds(node.inputs[0])), input: ins[0], bounds: b, into: &lp))
            case is MaxPool:
                throw EncodingError.unsupported("MaxPool (node \(node.name))")
            default:
                throw EncodingError.unsupported("\(layer.summary) (node \(node.name))")
            }
        }
        inputVariables = inputVars
        nodeVariables = vars
        program = lp
        binaryCount = binaries
        integerCount = integers
        self.triangles = triangles
    }

    /// y = clamp(round(t) + zp, qmin, qmax) with t = slope * z, exactly up to ties and the
    /// runtime's float32 band e (both neighbours of a tie, and of a quotient within e of one,
    /// stay feasible: a superset of the runtime's behaviour). With [a, b] the sound range of t
    /// and y an integer variable in [Q(a), Q(b)]:
    ///   slope z - y in [-zp - 1/2 - e - M_lo s_lo, -zp + 1/2 + e + M_hi s_hi]
    ///   s_lo = 1 => y = qmin,  s_hi = 1 => y = qmax   (binaries, only where that side saturates)
    /// If round(t) + zp < qmin the point (y = qmin, s_lo = 1) is feasible, and every feasible
    /// point with s_lo = s_hi = 0 has |t + zp - y| <= 1/2 + e, so y is a rounding of t. A
    /// constant bin is a fixed variable. Proofs/MILP.md.
    static func encodeExactQuantizer(_ q: QuantizeLinear, input: [Int], inputBounds x: Bounds, into lp: inout LinearProgram) -> (outputs: [Int], integers: Int, binaries: Int) {
        var out: [Int] = []
        var integers = 0, binaries = 0
        for i in input.indices {
            let (a, b) = q.quotientBounds(x, i)
            let (qa, qb) = (q.bin(a, i), q.bin(b, i))
            if qa == qb {
                out.append(lp.addVariable(lower: qa, upper: qa))
                continue
            }
            let zp = Double(q.zeroPoint[i])
            let e = q.roundingBand(x, i)
            let slope = q.slope(i)
            let y = lp.addVariable(lower: qa, upper: qb, integer: true)
            integers += 1
            let cols = [input[i], y], coef = [slope, -1.0]
            var lower = ((-zp - 0.5) - e).nextDown, upper = ((-zp + 0.5) + e).nextUp
            let saturatesLow = a.rounded(.toNearestOrEven) + zp < Double(q.qmin)
            let saturatesHigh = b.rounded(.toNearestOrEven) + zp > Double(q.qmax)
            if saturatesLow {
                // slope z - y >= -zp - 1/2 - e - M s_lo with M >= (qb - slope * l) - (zp + 1/2 + e).
                let sLo = lp.addVariable(lower: 0, upper: 1, integer: true)
                let bigM = ((qb - a + 1) + abs(zp) + e).nextUp
                lp.addRow(columns: cols + [sLo], coefficients: coef + [bigM], lower: lower)
                // s_lo = 1 => y <= qmin:  y + (qb - qmin) s_lo <= qb.
                lp.addRow(columns: [y, sLo], coefficients: [1, qb - Double(q.qmin)], upper: qb)
                lower = -.infinity
                binaries += 1
            }
            if saturatesHigh {
                let sHi = lp.addVariable(lower: 0, upper: 1, integer: true)
                let bigM = ((b - qa + 1) + abs(zp) + e).nextUp
                lp.addRow(columns: cols + [sHi], coefficients: coef + [-bigM], upper: upper)
                // s_hi = 1 => y >= qmax:  y - (qmax - qa) s_hi >= qa.
                lp.addRow(columns: [y, sHi], coefficients: [1, -(Double(q.qmax) - qa)], lower: qa)
                upper = .infinity
                binaries += 1
            }
            if lower.isFinite || upper.isFinite {
                lp.addRow(columns: cols, coefficients: coef, lower: lower, upper: upper)
            }
            out.append(y)
        }
        return (out, integers, binaries)
    }

    static func encode(_ map: AffineMap, input: [Int], output: [Int], inputBounds: Bounds, into lp: inout LinearProgram) {
        let m = inputBounds.magnitude
        for i in 0..<map.outputs {
            var cols = [output[i]], coef = [1.0], mag = 0.0
            switch map.storage {
            case .dense(let w):
                for j in 0..<map.inputs where w[i * map.inputs + j] != 0 {
                    cols.append(input[j]); coef.append(-w[i * map.inputs + j]); mag += abs(w[i * map.inputs + j]) * m[j]
                }
            case .sparse(let rs, let col, let val):
                for e in rs[i]..<rs[i + 1] { cols.append(input[col[e]]); coef.append(-val[e]); mag += abs(val[e]) * m[col[e]] }
            }
            let slack = map.weightRelativeError == 0 ? 0 : (map.weightRelativeError * mag * (1 + FloatError.gamma(map.inputs + 2))).nextUp
            // Duplicate columns (Transpose/Pad never repeat one; Conv never does) are not expected.
            let (lo, hi) = slack == 0 ? (map.bias[i], map.bias[i]) : ((map.bias[i] - slack).nextDown, (map.bias[i] + slack).nextUp)
            lp.addRow(columns: cols, coefficients: coef, lower: lo, upper: hi)
        }
    }

    static func encodeLines(_ r: ElementwiseRelaxation, input: [Int], bounds b: Bounds, into lp: inout LinearProgram) -> [Int] {
        var out: [Int] = []
        for i in input.indices {
            let y = lp.addVariable(lower: b.lower[i], upper: b.upper[i])
            lp.addRow(columns: [y, input[i]], coefficients: [1, -r.lowerSlope[i]], lower: r.lowerIntercept[i])
            lp.addRow(columns: [y, input[i]], coefficients: [1, -r.upperSlope[i]], upper: r.upperIntercept[i])
            out.append(y)
        }
        return out
    }
}
