import Foundation

/// sum_j coefficients[j] * Y_j + constant <= 0 (or < 0 when strict).
public struct OutputConstraint: Sendable, Equatable {
    public var coefficients: [Double]
    public var constant: Double
    public var strict: Bool

    public init(coefficients: [Double], constant: Double, strict: Bool) {
        self.coefficients = coefficients
        self.constant = constant
        self.strict = strict
    }

    /// Whether concrete outputs satisfy the constraint.
    public func holds(for y: [Double]) -> Bool {
        var s = constant
        for j in coefficients.indices { s += coefficients[j] * y[j] }
        return strict ? s < 0 : s <= 0
    }
}

/// One input box with the output conditions that make it unsafe: the case is unsafe when x is
/// in the box and any conjunction of `outputDisjuncts` holds.
public struct VNNLibCase: Sendable {
    public var lower: [Double]
    public var upper: [Double]
    public var outputDisjuncts: [[OutputConstraint]]
}

/// A VNN-LIB 1.0 property: the unsafe region is the union of its cases. `unsat` (no input of
/// any box reaches its unsafe outputs) means the property holds.
public struct VNNLibSpec: Sendable {
    public var inputCount: Int
    public var outputCount: Int
    public var cases: [VNNLibCase]

    public static func load(path: String) throws -> VNNLibSpec {
        try parse(String(decoding: try Dataset.read(path), as: UTF8.self), file: path)
    }

    /// Whether concrete outputs fall in the unsafe region of a case (input membership not checked).
    public func isUnsafe(output: [Double], caseIndex: Int) -> Bool {
        cases[caseIndex].outputDisjuncts.contains { conj in conj.allSatisfy { $0.holds(for: output) } }
    }

    public static func parse(_ text: String, file: String) throws -> VNNLibSpec {
        var parser = VNNLibParser(file: file)
        return try parser.parse(text)
    }
}
