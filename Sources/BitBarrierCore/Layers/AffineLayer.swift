/// A layer whose semantics is an `AffineMap`: every transformer comes from the map.
public protocol AffineLayer: Layer {
    var map: AffineMap { get }
}

extension AffineLayer {
    public func evaluate(_ inputs: [[Float]]) -> [Float] { map.apply(inputs[0]) }
    public func propagate(_ inputs: [Bounds]) -> Bounds { map.propagate(inputs[0]) }
    public func backward(_ a: LinearRows, inputs: [Bounds]) -> BackwardStep { map.backward(a, input: inputs[0]) }
    public func pullback(_ inputs: [[Float]], gradient: [Double]) -> [[Double]] { [map.pullback(gradient)] }
}
