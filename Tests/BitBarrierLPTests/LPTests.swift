import BitBarrierCore
import BitBarrierImport
import BitBarrierLP
import Foundation
import Testing

/// GLPK wrapper outcomes on tiny LPs with known answers, and the safe bound from duals.
@Suite struct GLPKTests {
    /// min -x - y  s.t.  x + 2y <= 4,  3x + y <= 6,  0 <= x, y <= 10: optimum at (1.6, 1.2), -2.8.
    static func small() -> LinearProgram {
        var lp = LinearProgram()
        let x = lp.addVariable(lower: 0, upper: 10), y = lp.addVariable(lower: 0, upper: 10)
        lp.addRow(columns: [x, y], coefficients: [1, 2], upper: 4)
        lp.addRow(columns: [x, y], coefficients: [3, 1], upper: 6)
        lp.objective = [-1, -1]
        return lp
    }

    @Test func optimal() {
        let lp = Self.small()
        let s = GLPKProblem(lp).solveLP()
        #expect(s.status == .optimal)
        #expect(abs(s.objective - -2.8) < 1e-9 && abs(s.primal[0] - 1.6) < 1e-9 && abs(s.primal[1] - 1.2) < 1e-9)
        let safe = SafeBound.lowerBound(lp, objective: lp.objective, duals: s.rowDuals)
        #expect(safe <= -2.8 && safe > -2.8 - 1e-9, "safe bound \(safe)")
    }

    /// GLPK's sign convention (row duals <= 0 on binding <= rows of a minimisation) is what
    /// SafeBound expects: a tight dual gives a tight bound.
    @Test func dualSignConvention() {
        let s = GLPKProblem(Self.small()).solveLP()
        #expect(s.rowDuals.allSatisfy { $0 <= 1e-12 } && s.rowDuals.contains { $0 < 0 })
    }

    /// Any multipliers give a valid bound: perturbed, zeroed, even wrong-signed duals stay below
    /// the true optimum (weaker, never invalid).
    @Test func perturbedDualsStillGiveValidBounds() {
        let lp = Self.small()
        let s = GLPKProblem(lp).solveLP()
        var rng = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            let duals = s.rowDuals.map { $0 * Double.random(in: 0...2, using: &rng) + Double.random(in: -0.5...0.5, using: &rng) }
            let b = SafeBound.lowerBound(lp, objective: lp.objective, duals: duals)
            #expect(b <= -2.8)
        }
        // Zero multipliers: the bound is the box minimum of the objective, -20.
        let zero = SafeBound.lowerBound(lp, objective: lp.objective, duals: [0, 0])
        #expect(zero <= -20 && zero > -20 - 1e-9)
    }

    @Test func infeasible() {
        var lp = LinearProgram()
        let x = lp.addVariable(lower: 0, upper: 1)
        lp.addRow(columns: [x], coefficients: [1], lower: 2)
        lp.objective = [1]
        #expect(GLPKProblem(lp).solveLP().status == .infeasible)
    }

    /// The elastic certificate proves infeasible programs infeasible and never a feasible one.
    @Test func infeasibilityIsProvedOnlyWhenTrue() {
        var lp = LinearProgram()
        let x = lp.addVariable(lower: 0, upper: 1), y = lp.addVariable(lower: 0, upper: 1)
        lp.addRow(columns: [x, y], coefficients: [1, 1], lower: 2.5)
        #expect(SafeBound.provesInfeasible(lp))
        var tight = LinearProgram()
        let a = tight.addVariable(lower: 0, upper: 1), b = tight.addVariable(lower: 0, upper: 1)
        tight.addRow(columns: [a, b], coefficients: [1, 1], lower: 2)  // feasible only at (1, 1)
        #expect(!SafeBound.provesInfeasible(tight))
        #expect(!SafeBound.provesInfeasible(Self.small()))
    }

    /// With finite variable bounds nothing is unbounded; a free row direction with huge bounds
    /// is optimal at the bound.
    @Test func boundedEvenWhenTheRowIsFree() {
        var lp = LinearProgram()
        let x = lp.addVariable(lower: -1e6, upper: 1e6)
        lp.addRow(columns: [x], coefficients: [1])
        lp.objective = [1]
        let s = GLPKProblem(lp).solveLP()
        #expect(s.status == .optimal && s.objective == -1e6)
    }

    @Test func milpFindsTheIntegerOptimum() {
        let lp = { var l = LinearProgram(); let x = l.addVariable(lower: 0, upper: 10, integer: true), y = l.addVariable(lower: 0, upper: 10, integer: true)
               l.addRow(columns: [x, y], coefficients: [1, 2], upper: 4); l.addRow(columns: [x, y], coefficients: [3, 1], upper: 6); l.objective = [-1, -1]; return l }()
        let s = GLPKProblem(lp).solveMILP()
        #expect(s.status == .optimal && s.objective == -2)
    }
}

/// LP-tightened network bounds: never looser than CROWN, never violated by samples.
@Suite struct NetworkLPTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func lpBoundsTightenCrownAndContainSamples() throws {
        let network = try ModelLoader.load(path: Self.root.appendingPathComponent("Examples/digits-mlp/model.onnx").path)
        var rng = SplitMix64(seed: 42)
        var tighter = 0
        for trial in 0..<3 {
            let center = (0..<64).map { _ in Float.random(in: 0...1, using: &rng) }
            let box = Bounds(center: center, epsilon: 0.05 + 0.05 * Double(trial), clipLower: [Double](repeating: 0, count: 64), clipUpper: [Double](repeating: 1, count: 64))
            let crown = BoundAnalysis(network: network).layerBounds(box, intermediate: .crown)
            let lp = try LPAnalysis(network: network).layerBounds(box)
            for k in network.nodes.indices {
                for j in 0..<crown[k].count {
                    #expect(lp[k].lower[j] >= crown[k].lower[j] && lp[k].upper[j] <= crown[k].upper[j])
                    if lp[k].upper[j] < crown[k].upper[j] - 1e-9 || lp[k].lower[j] > crown[k].lower[j] + 1e-9 { tighter += 1 }
                }
            }
            for _ in 0..<2000 {
                let x = (0..<64).map { i in Float(Double.random(in: box.lower[i]...box.upper[i], using: &rng)) }
                let values = network.evaluateAll(x)
                for (k, v) in values.enumerated() {
                    for j in v.indices {
                        let y = Double(v[j]), t = 1e-5 * abs(y) + 1e-6
                        #expect(lp[k].lower[j] - t <= y && y <= lp[k].upper[j] + t, "node \(k) neuron \(j): \(y) outside LP [\(lp[k].lower[j]), \(lp[k].upper[j])]")
                    }
                }
            }
        }
        #expect(tighter > 0, "LP tightened nothing in three boxes")
    }

    /// The warm-started sub-domain LP, re-bounded from the root's encoding, gives the same
    /// bound as an LP built afresh from the sub-domain's bounds, and no sampled point of the
    /// sub-domain goes below it.
    @Test func subdomainLPMatchesAFreshEncodingAndContainsSamples() throws {
        let network = try ModelLoader.load(path: Self.root.appendingPathComponent("Examples/digits-mlp/model.onnx").path)
        let analysis = BoundAnalysis(network: network)
        var rng = SplitMix64(seed: 7)
        let center = (0..<64).map { _ in Float.random(in: 0...1, using: &rng) }
        let box = Bounds(center: center, epsilon: 0.1, clipLower: [Double](repeating: 0, count: 64), clipUpper: [Double](repeating: 1, count: 64))
        let root = analysis.splitLayerBounds(box, parent: nil, splits: [], reuseBefore: 0)!
        let program = try SubdomainLP(network: network, box: box, rootBounds: root)
        var compared = 0, sampled = 0
        for trial in 0..<4 {
            // Split neurons on the signs they have at a sampled point (the sub-domain holds it).
            let x0 = (0..<64).map { i in Float(Double.random(in: box.lower[i]...box.upper[i], using: &rng)) }
            let v0 = network.evaluateAll(x0)
            var splits: [NeuronSplit] = []
            for node in network.nodes where node.layer is ReLU {
                guard case .node(let j) = node.inputs[0] else { continue }
                for k in 0..<root[j].count where root[j].lower[k] < 0 && root[j].upper[k] > 0 && abs(v0[j][k]) > 1e-3 && splits.count < 2 * (trial + 1) {
                    splits.append(NeuronSplit(node: j, neuron: k, active: v0[j][k] > 0))
                }
            }
            guard let child = analysis.splitLayerBounds(box, parent: root, splits: splits, reuseBefore: 0) else {
                Issue.record("trial \(trial): a sub-domain holding a point was reported empty")
                continue
            }
            program.update(bounds: child)
            let fresh = try NetworkLP(network: network, box: box, bounds: child, last: network.output)
            let freshProblem = GLPKProblem(fresh.program)
            let c = (0..<network.outputSize).map { _ in Double.random(in: -1...1, using: &rng) }
            guard case .bound(let warm, _) = program.lowerBound(output: c, timeLimit: 30, sameObjective: false) else {
                Issue.record("trial \(trial): the sub-domain LP failed")
                continue
            }
            var objective = [Double](repeating: 0, count: fresh.program.variableCount)
            for (j, v) in fresh.nodeVariables[network.output].enumerated() { objective[v] += c[j] }
            freshProblem.setObjective(objective)
            let solution = freshProblem.solveLP()
            #expect(solution.status == .optimal)
            let safe = SafeBound.lowerBound(fresh.program, objective: objective, duals: solution.rowDuals)
            #expect(abs(warm - safe) <= 1e-6 * max(1, abs(safe)), "trial \(trial): warm-started \(warm), fresh \(safe)")
            compared += 1
            for _ in 0..<3000 {
                let x = (0..<64).map { i in Float(Double.random(in: box.lower[i]...box.upper[i], using: &rng)) }
                let values = network.evaluateAll(x)
                guard splits.allSatisfy({ sp in sp.active ? values[sp.node][sp.neuron] > 1e-4 : values[sp.node][sp.neuron] < -1e-4 }) else { continue }
                let y = values[network.output].map(Double.init)
                let value = zip(c, y).reduce(0) { $0 + $1.0 * $1.1 }
                #expect(warm <= value + 1e-5 * (1 + abs(value)), "trial \(trial): sampled \(value) below the LP bound \(warm)")
                sampled += 1
            }
        }
        #expect(compared == 4)
        #expect(sampled > 0, "no sampled point fell in any sub-domain")
    }

    @Test func encodingIsInspectableWithoutGLPK() throws {
        let network = try ModelLoader.load(path: Self.root.appendingPathComponent("Examples/digits-mlp/model.onnx").path)
        let box = Bounds(center: [Float](repeating: 0.5, count: 64), epsilon: 0.1)
        let bounds = BoundAnalysis(network: network).layerBounds(box, intermediate: .crown)
        let lp = try NetworkLP(network: network, box: box, bounds: bounds, last: network.output)
        let exact = try NetworkLP(network: network, box: box, bounds: bounds, last: network.output, exact: true)
        #expect(lp.inputVariables.count == 64 && lp.nodeVariables[network.output].count == 10)
        #expect(lp.binaryCount == 0 && exact.binaryCount > 0)
        #expect(exact.program.integer.filter { $0 }.count == exact.binaryCount)
        // One equality row per Dense output.
        #expect(lp.program.rows.filter { $0.lower == $0.upper }.count >= 32 + 16 + 10)
    }
}
