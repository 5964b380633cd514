import Foundation

/// y = 1 / (1 + exp(-x)), elementwise.
///
/// Interval: monotone, so [f(l), f(u)] widened by the libm error margin. Linear relaxation:
/// the S-shaped tangent/chord bounds of `SShapedRelaxation` (Proofs/SShaped.md).
public struct Sigmoid: Layer {
    public let size: Int
    public init(size: Int) { self.size = size }

    public var summary: String { "Sigmoid(\(size))" }
    public var parameterCount: Int { 0 }

    static func value(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
    static func slope(_ x: Double) -> Double { let s = value(x); return s * (1 - s) }
    static let relax = SShapedRelaxation(f: Sigmoid.value, derivative: Sigmoid.slope)

    public func evaluate(_ inputs: [[Float]]) -> [Float] {
        inputs[0].map { Float(Self.value(Double($0))) }
    }

    public func propagate(_ inputs: [Bounds]) -> Bounds { Self.relax.propagate(inputs[0]) }

    public func relaxation(_ x: Bounds) -> ElementwiseRelaxation { Self.relax.relaxation(x) }

    public func backward(_ a: LinearRows, inputs: [Bounds]) -> BackwardStep {
        relaxation(inputs[0]).backward(a, input: inputs[0])
    }

    public func pullback(_ inputs: [[Float]], gradient: [Double]) -> [[Double]] {
        [gradient.indices.map { gradient[$0] * Self.slope(Double(inputs[0][$0])) }]
    }
}
