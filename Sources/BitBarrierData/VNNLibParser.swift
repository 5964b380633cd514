/// Reads VNN-LIB 1.0 text into a ``VNNLibSpec``: declarations, linear atoms, and the
/// disjunctive normal form of the conjunction of all asserts.
struct VNNLibParser {
    /// One disjunct of the DNF: a partial input box and a conjunction of output constraints.
    struct Conjunction {
        var lower: [Int: Double] = [:]
        var upper: [Int: Double] = [:]
        var outputs: [OutputConstraint] = []

        /// Intersects with `other`: the tighter bound per input, and both output lists.
        mutating func formIntersection(_ other: Conjunction) {
            for (i, v) in other.lower { lower[i] = Swift.max(lower[i] ?? -.infinity, v) }
            for (i, v) in other.upper { upper[i] = Swift.min(upper[i] ?? .infinity, v) }
            outputs += other.outputs
        }
    }

    /// A declared variable: its name, its declaration line, and the index suffix `X_<i>_<j>`.
    struct Declaration {
        var name: String
        var line: Int
        var indices: [Int]
    }

    /// The DNF may not grow beyond this many disjuncts.
    static let maxDisjuncts = 100_000

    let file: String
    var variables: [String: Variable] = [:]
    var inputNames: [String] = []
    var outputCount = 0

    init(file: String) { self.file = file }

    func fail(_ e: SExpression?, _ message: String) -> DataError {
        DataError(file: file, line: e?.line, column: e?.column, message: message)
    }

    mutating func parse(_ text: String) throws -> VNNLibSpec {
        var inputs: [Declaration] = [], outputs: [Declaration] = []
        var asserts: [SExpression] = []
        var declared: Set<String> = []
        for command in try SExpression.read(text, file: file) {
            guard case .list(let items, _, _) = command, case .atom(let head, _, _)? = items.first else {
                throw fail(command, "expected a command such as (declare-const X_0 Real) or (assert ...)")
            }
            switch head {
            case "declare-const":
                guard items.count == 3, case .atom(let name, _, _) = items[1], case .atom(let sort, _, _) = items[2] else {
                    throw fail(command, "expected (declare-const <name> Real)")
                }
                guard sort == "Real" else { throw fail(items[2], "variable '\(name)' has sort '\(sort)'; only Real is supported") }
                guard declared.insert(name).inserted else { throw fail(items[1], "variable '\(name)' is declared twice") }
                let parts = name.split(separator: "_", omittingEmptySubsequences: false)
                let indices = parts.dropFirst().compactMap { Int($0) }
                guard parts.count >= 2, indices.count == parts.count - 1, indices.allSatisfy({ $0 >= 0 }),
                      parts[0] == "X" || parts[0] == "Y" else {
                    throw fail(items[1], "variable '\(name)' is neither an input X_<i> nor an output Y_<j>")
                }
                let d = Declaration(name: name, line: command.line, indices: indices)
                if parts[0] == "X" { inputs.append(d) } else { outputs.append(d) }
            case "assert":
                guard items.count == 2 else { throw fail(command, "assert takes exactly one formula") }
                asserts.append(items[1])
            case "set-logic", "set-info", "check-sat", "get-model", "exit":
                continue
            default:
                throw fail(command, "unsupported command '\(head)'")
            }
        }
        guard !inputs.isEmpty else { throw fail(nil, "no input variables X_... are declared") }
        guard !outputs.isEmpty else { throw fail(nil, "no output variables Y_... are declared") }
        let inputIndex = try flatIndices(inputs), outputIndex = try flatIndices(outputs)
        inputNames = [String](repeating: "", count: inputs.count)
        for (d, i) in zip(inputs, inputIndex) { variables[d.name] = .input(i); inputNames[i] = d.name }
        for (d, j) in zip(outputs, outputIndex) { variables[d.name] = .output(j) }
        outputCount = outputs.count

        var dnf = [Conjunction()]
        for a in asserts { dnf = try product(dnf, try normalise(a), at: a) }
        return try spec(from: dnf)
    }

    /// Flat indices of declarations: `X_<i>` names use `i` (they must then number 0..<n);
    /// names with several indices (`X_0_0_3`, older files) use declaration order.
    func flatIndices(_ declarations: [Declaration]) throws -> [Int] {
        guard declarations.allSatisfy({ $0.indices.count == 1 }) else { return Array(declarations.indices) }
        var seen = [Bool](repeating: false, count: declarations.count)
        for d in declarations {
            let i = d.indices[0]
            guard i < declarations.count, !seen[i] else {
                throw DataError(file: file, line: d.line, message: "'\(d.name)' is out of place: the \(declarations.count) variables of its kind must be numbered 0...\(declarations.count - 1) once each")
            }
            seen[i] = true
        }
        return declarations.map { $0.indices[0] }
    }

    /// The DNF of `a AND b`: every pairwise intersection.
    func product(_ a: [Conjunction], _ b: [Conjunction], at e: SExpression) throws -> [Conjunction] {
        if b.count == 1 {
            var r = a
            for i in r.indices { r[i].formIntersection(b[0]) }
            return r
        }
        guard a.count * b.count <= Self.maxDisjuncts else {
            throw fail(e, "the property expands to \(a.count * b.count) disjuncts (more than \(Self.maxDisjuncts))")
        }
        var r: [Conjunction] = []
        r.reserveCapacity(a.count * b.count)
        for x in a {
            for y in b {
                var z = x
                z.formIntersection(y)
                r.append(z)
            }
        }
        return r
    }

    /// The DNF of a formula: `and`, `or`, or a comparison atom.
    func normalise(_ f: SExpression) throws -> [Conjunction] {
        guard case .list(let items, _, _) = f, case .atom(let head, _, _)? = items.first else {
            throw fail(f, "expected a formula such as (<= X_0 1), (and ...) or (or ...)")
        }
        switch head {
        case "and":
            var acc = [Conjunction()]
            for g in items.dropFirst() { acc = try product(acc, try normalise(g), at: g) }
            return acc
        case "or":
            var acc: [Conjunction] = []
            for g in items.dropFirst() {
                acc += try normalise(g)
                guard acc.count <= Self.maxDisjuncts else { throw fail(f, "the property has more than \(Self.maxDisjuncts) disjuncts") }
            }
            return acc
        case "<=", ">=", "<", ">":
            guard items.count == 3 else { throw fail(f, "'\(head)' takes exactly two terms") }
            let a = try term(items[1]), b = try term(items[2])
            // Normalise to t <= 0 (or t < 0).
            let t = head.hasPrefix("<") ? a + -b : b + -a
            return try atom(t, strict: head.count == 1, at: f)
        default:
            throw fail(f, "unsupported formula '\(head)'")
        }
    }

    /// The DNF of `t <= 0` (or `t < 0`): an input bound, an output constraint, or a constant.
    func atom(_ t: LinearTerm, strict: Bool, at f: SExpression) throws -> [Conjunction] {
        let terms = t.nonzero
        let xs = terms.compactMap { v, a -> (Int, Double)? in if case .input(let i) = v { return (i, a) } else { return nil } }
        let ys = terms.compactMap { v, a -> (Int, Double)? in if case .output(let j) = v { return (j, a) } else { return nil } }
        if !xs.isEmpty && !ys.isEmpty { throw fail(f, "a constraint mixing inputs X and outputs Y is not supported") }
        if xs.count > 1 { throw fail(f, "a constraint over several inputs is not supported (only bounds on a single X)") }
        var c = Conjunction()
        if let (i, a) = xs.first {
            // a x + d <= 0  gives  x <= -d/a (a > 0) or x >= -d/a (a < 0).
            let v = -t.constant / a
            let exact = t.exact && isExactProduct(v, a) && v * a == -t.constant
            guard v.isFinite else { throw fail(f, "the bound on \(inputNames[i]) is not finite") }
            if a > 0 { c.upper[i] = exact ? v : v.nextUp.nextUp } else { c.lower[i] = exact ? v : v.nextDown.nextDown }
            return [c]
        }
        if ys.isEmpty {
            let holds = strict ? t.constant < 0 : t.constant <= 0
            return holds ? [c] : []
        }
        var coefficients = [Double](repeating: 0, count: outputCount)
        for (j, a) in ys { coefficients[j] = a }
        // An inexact constant is relaxed downward, which enlarges the unsafe region.
        c.outputs = [OutputConstraint(coefficients: coefficients, constant: t.exact ? t.constant : t.constant.nextDown.nextDown, strict: strict)]
        return [c]
    }

    /// A linear term: a number, a declared variable, `(+ t ...)`, `(- t)`, `(- t u ...)`,
    /// `(* c t)` with all factors but one constant, or `(/ t c)`.
    func term(_ e: SExpression) throws -> LinearTerm {
        switch e {
        case .atom(let s, _, _):
            if let v = variables[s] { return LinearTerm(variable: v) }
            if let first = s.utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".") || (first >= 0x30 && first <= 0x39) {
                guard let v = Double(s), v.isFinite else { throw fail(e, "'\(s)' is not a finite number") }
                return LinearTerm(constant: v)
            }
            throw fail(e, "undeclared variable '\(s)'")
        case .list(let items, _, _):
            guard case .atom(let op, _, _)? = items.first, items.count >= 2 else { throw fail(e, "malformed term") }
            let args = try items.dropFirst().map(term)
            switch op {
            case "+":
                return args.dropFirst().reduce(args[0], +)
            case "-":
                if args.count == 1 { return -args[0] }
                return args.dropFirst().reduce(args[0]) { $0 + -$1 }
            case "*":
                guard args.filter({ !$0.isConstant }).count <= 1 else { throw fail(e, "non-linear term: a product of variables") }
                var r = args.first { !$0.isConstant } ?? LinearTerm(constant: 1)
                for k in args where k.isConstant { r = r.scaled(k.constant); r.exact = r.exact && k.exact }
                return r
            case "/":
                guard args.count == 2, args[1].isConstant, args[1].constant != 0 else {
                    throw fail(e, "non-linear term: division must be by a nonzero constant")
                }
                var r = args[0].scaled(1 / args[1].constant)
                r.exact = r.exact && args[1].exact && isExactProduct(1 / args[1].constant, args[1].constant) && (1 / args[1].constant) * args[1].constant == 1
                return r
            default:
                throw fail(e, "unsupported term operator '\(op)'")
            }
        }
    }

    /// Turns the DNF into cases: checks that every input is bounded, drops empty boxes, and
    /// groups disjuncts with identical boxes.
    func spec(from dnf: [Conjunction]) throws -> VNNLibSpec {
        let n = inputNames.count
        var cases: [VNNLibCase] = []
        var caseOfBox: [[Double]: Int] = [:]
        for (k, conjunction) in dnf.enumerated() {
            var lo = [Double](repeating: 0, count: n), hi = lo
            let place = dnf.count > 1 ? " in disjunct \(k + 1) of \(dnf.count)" : ""
            for i in 0..<n {
                guard let l = conjunction.lower[i] else { throw fail(nil, "\(inputNames[i]) has no lower bound\(place)") }
                guard let u = conjunction.upper[i] else { throw fail(nil, "\(inputNames[i]) has no upper bound\(place)") }
                lo[i] = l
                hi[i] = u
            }
            if zip(lo, hi).contains(where: { $0 > $1 }) { continue }
            let key = lo + hi
            if let c = caseOfBox[key] {
                cases[c].outputDisjuncts.append(conjunction.outputs)
            } else {
                caseOfBox[key] = cases.count
                cases.append(VNNLibCase(lower: lo, upper: hi, outputDisjuncts: [conjunction.outputs]))
            }
        }
        return VNNLibSpec(inputCount: n, outputCount: outputCount, cases: cases)
    }
}
