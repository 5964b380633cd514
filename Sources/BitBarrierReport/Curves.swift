/// The numbers behind the plots, computed once from a results file.
public struct Curves: Sendable {
    /// Radii at which the curves are sampled (0 to the largest finite radius seen, 50 steps).
    public var eps: [Double]
    /// Fraction of inputs certified at each eps (certified radius >= eps, correctly classified).
    public var certified: [Double]
    /// Fraction of inputs with no counterexample found at or below each eps (nil without an attack).
    public var attack: [Double]?

    public init(_ r: CertificationResults) {
        let radii = r.samples.map(\.certifiedRadius) + r.samples.compactMap(\.attackRadius)
        let top = max(radii.filter(\.isFinite).max() ?? 0.1, 1e-6) * 1.05
        eps = (0...50).map { top * Double($0) / 50 }
        let n = Double(max(r.samples.count, 1))
        let correct = r.samples.filter { $0.predicted == $0.label }
        certified = eps.map { e in Double(correct.filter { $0.certifiedRadius >= e }.count) / n }
        let attacked = r.samples.contains { $0.attackRadius != nil } || r.summary.attackAccuracy != nil
        attack = attacked ? eps.map { e in Double(correct.filter { ($0.attackRadius ?? .infinity) > e }.count) / n } : nil
    }
}
