/// A VNN-LIB 1.0 property, describing the **unsafe** region.
///
/// The unsafe region is the union of `cases`; `unsat` (no input of any box reaches its unsafe
/// outputs) means the property holds. Inputs are the ONNX input tensor flattened in C order.
///
/// Reading normalises the conjunction of all `assert`s to disjunctive normal form. Atoms over a
/// single input and constants tighten that disjunct's box; atoms over outputs only become
/// ``OutputConstraint``s; disjuncts with identical boxes are grouped into one case (so ACAS Xu
/// and MNIST specs give a single case, while "multi-box" specs such as ACAS Xu property 6 give
/// one case per box). A disjunct whose box is empty (some lower > upper) can never be unsafe
/// and is dropped. Strict input bounds (`<`, `>`) are read as non-strict: the closed box
/// contains the open one, which over-approximates the unsafe region. Bounds computed with
/// inexact floating-point arithmetic (e.g. `(<= (* 3 X_0) 1)`) are widened outward by two ulps;
/// the literal bounds of ordinary files are kept bit for bit.
public struct VNNLibSpec: Sendable, Equatable {
    /// The number of declared inputs `X_...`.
    public var inputCount: Int
    /// The number of declared outputs `Y_...`.
    public var outputCount: Int
    /// The input boxes, each with its unsafe output condition.
    public var cases: [VNNLibCase]

    /// Creates a specification from its parts.
    public init(inputCount: Int, outputCount: Int, cases: [VNNLibCase]) {
        self.inputCount = inputCount
        self.outputCount = outputCount
        self.cases = cases
    }

    /// Reads a `.vnnlib` file.
    ///
    /// - Throws: ``DataError`` naming the file and, where there is one, the line.
    public static func load(path: String) throws -> VNNLibSpec {
        try parse(String(decoding: try Dataset.read(path), as: UTF8.self), file: path)
    }

    /// Parses VNN-LIB text; `file` names it in errors.
    ///
    /// - Throws: ``DataError`` for unbalanced or empty parentheses, an undeclared or malformed
    ///   variable, a non-linear term, an atom mixing inputs and outputs or bounding several
    ///   inputs at once, an input without a lower or upper bound, or an unsupported command.
    public static func parse(_ text: String, file: String) throws -> VNNLibSpec {
        var parser = VNNLibParser(file: file)
        return try parser.parse(text)
    }

    /// Whether concrete outputs fall in the unsafe output region of case `caseIndex` (whether
    /// the input lies in that case's box is not checked here).
    ///
    /// - Precondition: `caseIndex` is a valid index and `output.count == outputCount`.
    public func isUnsafe(output: [Double], caseIndex: Int) -> Bool {
        precondition(cases.indices.contains(caseIndex), "case \(caseIndex) out of range 0..<\(cases.count)")
        return cases[caseIndex].isUnsafe(output: output)
    }
}
