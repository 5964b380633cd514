import BitBarrierCore
import BitBarrierData
import BitBarrierLP
import Foundation

/// The LP route of ReLU branch and bound (``ReLUBranchAndBound/useLP``, and leaves with no
/// unstable neuron left, where the LP is exact).
extension ReLUBranchAndBound {
    enum LPStep { case empty, found(VNNWitness), open(candidate: (conjunction: Int, input: [Double])?) }

    /// LP bounds of the open constraints, worst first, over the sub-domain: the triangle
    /// relaxation of every unstable ReLU with the clamped bounds as variable bounds (so the
    /// splits are constraints, as in beta-CROWN with the best multipliers), made safe through
    /// the dual by ``SafeBound`` (``SubdomainLP``). Stops at the first constraint that stays open
    /// (the domain is split anyway) and replays its LP optimum's input as a candidate witness.
    /// `basis` is the warm start in and the final basis out.
    func lpBounds(_ program: SubdomainLP, timeLimit: Double, basis: inout (GLPKProblem.Basis, Int, Int)?, open: inout [Bool],
                  owners: [(conjunction: Int, constraint: OutputConstraint)], lows: [Double],
                  box: Bounds, nodes: [Bounds], caseIndex: Int) -> LPStep {
        program.update(bounds: nodes)
        var last: (Int, Int)? = nil
        if let (b, k, i) = basis { program.setBasis(b); last = (k, i) }
        defer { if let (k, i) = last { basis = (program.basis, k, i) } }
        let order = owners.indices.sorted { lows[$0] + owners[$0].constraint.constant < lows[$1] + owners[$1].constraint.constant }
        // Index of each owner within its conjunction (to recognise the basis's objective).
        let position = Self.positions(owners)
        for r in order where open[owners[r].conjunction] {
            let con = owners[r].constraint
            let key = (owners[r].conjunction, position[r])
            let same = last.map { $0 == key } ?? false
            last = key
            switch program.lowerBound(output: con.coefficients, timeLimit: timeLimit, sameObjective: same) {
            case .bound(let safe, let x):
                if (safe + con.constant).nextDown > 0 { open[owners[r].conjunction] = false; continue }
                if let w = VNNWitness.replay(real: x, lower: box.lower, upper: box.upper, network: analysis.network, spec: spec,
                                             caseIndex: caseIndex) { return .found(w) }
                return .open(candidate: (owners[r].conjunction, x))
            case .infeasible:
                return .empty
            case .failed:
                return .open(candidate: nil)
            }
        }
        return .open(candidate: nil)
    }
}
