/// S-expression reader and DNF normaliser for VNN-LIB 1.0.
struct VNNLibParser {
    let file: String

    indirect enum SExpr {
        case atom(String, line: Int)
        case list([SExpr], line: Int)

        var line: Int {
            switch self {
            case .atom(_, let l), .list(_, let l): return l
            }
        }
    }

    /// A linear term: coefficients per declared variable plus a constant.
    struct Term {
        var coefficients: [String: Double] = [:]
        var constant = 0.0

        static func + (a: Term, b: Term) -> Term {
            var r = a
            for (k, v) in b.coefficients { r.coefficients[k, default: 0] += v }
            r.constant += b.constant
            return r
        }

        func scaled(_ s: Double) -> Term {
            Term(coefficients: coefficients.mapValues { $0 * s }, constant: constant * s)
        }
    }

    /// A conjunction: a partial input box and output constraints.
    struct Conjunction {
        var lower: [Int: Double] = [:]
        var upper: [Int: Double] = [:]
        var outputs: [OutputConstraint] = []

        func merged(_ o: Conjunction) -> Conjunction {
            var r = self
            for (k, v) in o.lower { r.lower[k] = max(r.lower[k] ?? -.infinity, v) }
            for (k, v) in o.upper { r.upper[k] = min(r.upper[k] ?? .infinity, v) }
            r.outputs += o.outputs
            return r
        }
    }

    var inputs: [String: Int] = [:]
    var outputs: [String: Int] = [:]

    init(file: String) { self.file = file }

    func fail(_ line: Int?, _ m: String) -> DataError { DataError(file: file, line: line, message: m) }

    func tokenize(_ text: String) throws -> [SExpr] {
        var stack: [([SExpr], Int)] = []
        var top: [SExpr] = []
        var line = 1
        var token = ""
        func flush() {
            guard !token.isEmpty else { return }
            let a = SExpr.atom(token, line: line)
            if stack.isEmpty { top.append(a) } else { stack[stack.count - 1].0.append(a) }
            token = ""
        }
        var inComment = false
        for ch in text {
            if ch == "\n" { flush(); line += 1; inComment = false; continue }
            if inComment { continue }
            switch ch {
            case ";": flush(); inComment = true
            case "(": flush(); stack.append(([], line))
            case ")":
                flush()
                guard let (items, start) = stack.popLast() else { throw fail(line, "unbalanced ')'") }
                let l = SExpr.list(items, line: start)
                if stack.isEmpty { top.append(l) } else { stack[stack.count - 1].0.append(l) }
            case " ", "\t", "\r": flush()
            default: token.append(ch)
            }
        }
        flush()
        if let open = stack.last { throw fail(open.1, "unbalanced '(': not closed before the end of the file") }
        return top
    }

    mutating func parse(_ text: String) throws -> VNNLibSpec {
        let commands = try tokenize(text)
        var asserts: [SExpr] = []
        for c in commands {
            guard case .list(let items, let line) = c, case .atom(let head, _)? = items.first else {
                throw fail(c.line, "expected a command in parentheses")
            }
            switch head {
            case "declare-const":
                guard items.count == 3, case .atom(let name, _) = items[1] else { throw fail(line, "malformed declare-const") }
                if name.hasPrefix("X_") { inputs[name] = inputs.count }
                else if name.hasPrefix("Y_") { outputs[name] = outputs.count }
                else { throw fail(line, "variable '\(name)' is neither an input X_... nor an output Y_...") }
            case "assert":
                guard items.count == 2 else { throw fail(line, "assert takes one formula") }
                asserts.append(items[1])
            default:
                throw fail(line, "unsupported command '\(head)'")
            }
        }
        guard !inputs.isEmpty else { throw fail(nil, "no input variables X_... declared") }
        guard !outputs.isEmpty else { throw fail(nil, "no output variables Y_... declared") }
        // Asserts that are single input bounds apply to every disjunct: handle them apart, so the
        // DNF product is over the few disjunctive asserts only.
        var dnf = [Conjunction()]
        for a in asserts {
            let d = try normalise(a)
            var product: [Conjunction] = []
            product.reserveCapacity(dnf.count * d.count)
            for x in dnf { for y in d { product.append(x.merged(y)) } }
            dnf = product
            if dnf.count > 1_000_000 { throw fail(a.line, "the property expands to more than a million disjuncts") }
        }
        let n = inputs.count
        var cases: [VNNLibCase] = []
        var index: [[Double]: Int] = [:]
        for conj in dnf {
            var lo = [Double](repeating: 0, count: n), hi = lo
            for (name, i) in inputs {
                guard let l = conj.lower[i] else { throw fail(nil, "\(name) has no lower bound") }
                guard let u = conj.upper[i] else { throw fail(nil, "\(name) has no upper bound") }
                lo[i] = l; hi[i] = u
            }
            if zip(lo, hi).contains(where: { $0 > $1 }) { continue }  // an empty box is never unsafe
            let key = lo + hi
            if let k = index[key] {
                cases[k].outputDisjuncts.append(conj.outputs)
            } else {
                index[key] = cases.count
                cases.append(VNNLibCase(lower: lo, upper: hi, outputDisjuncts: [conj.outputs]))
            }
        }
        return VNNLibSpec(inputCount: n, outputCount: outputs.count, cases: cases)
    }

    func normalise(_ f: SExpr) throws -> [Conjunction] {
        guard case .list(let items, let line) = f, case .atom(let head, _)? = items.first else {
            throw fail(f.line, "expected a formula")
        }
        switch head {
        case "and":
            var acc = [Conjunction()]
            for g in items.dropFirst() {
                let d = try normalise(g)
                var next: [Conjunction] = []
                for x in acc { for y in d { next.append(x.merged(y)) } }
                acc = next
            }
            return acc
        case "or":
            return try items.dropFirst().flatMap { try normalise($0) }
        case "<=", ">=", "<", ">":
            guard items.count == 3 else { throw fail(line, "'\(head)' takes two terms") }
            let a = try term(items[1]), b = try term(items[2])
            // Normalise to t <= 0 (or < 0).
            let t = head.hasPrefix("<") ? a + b.scaled(-1) : b + a.scaled(-1)
            return [try conjunction(t, strict: head.count == 1, line: line)]
        default:
            throw fail(line, "unsupported formula '\(head)'")
        }
    }

    func conjunction(_ t: Term, strict: Bool, line: Int) throws -> Conjunction {
        let xs = t.coefficients.filter { inputs[$0.key] != nil && $0.value != 0 }
        let ys = t.coefficients.filter { outputs[$0.key] != nil && $0.value != 0 }
        var c = Conjunction()
        if !xs.isEmpty && !ys.isEmpty { throw fail(line, "a constraint mixing inputs and outputs is not supported") }
        if xs.count > 1 { throw fail(line, "a constraint over several inputs is not supported (only bounds on one X)") }
        if let (name, a) = xs.first {
            // a x + d <= 0: x <= -d/a (a > 0) or x >= -d/a (a < 0); widened when inexact.
            let i = inputs[name]!
            let v = -t.constant / a
            let exact = abs(a) == 1
            if a > 0 { c.upper[i] = exact ? v : v.nextUp } else { c.lower[i] = exact ? v : v.nextDown }
            return c
        }
        var coefficients = [Double](repeating: 0, count: outputs.count)
        for (name, v) in ys { coefficients[outputs[name]!] = v }
        c.outputs = [OutputConstraint(coefficients: coefficients, constant: t.constant, strict: strict)]
        return c
    }

    func term(_ e: SExpr) throws -> Term {
        switch e {
        case .atom(let s, let line):
            if let v = Double(s) { return Term(coefficients: [:], constant: v) }
            guard inputs[s] != nil || outputs[s] != nil else { throw fail(line, "undeclared variable '\(s)'") }
            return Term(coefficients: [s: 1], constant: 0)
        case .list(let items, let line):
            guard case .atom(let op, _)? = items.first, items.count >= 2 else { throw fail(line, "malformed term") }
            let args = try items.dropFirst().map(term)
            switch op {
            case "+": return args.reduce(Term(), +)
            case "-":
                if args.count == 1 { return args[0].scaled(-1) }
                return args.dropFirst().reduce(args[0]) { $0 + $1.scaled(-1) }
            case "*":
                let constants = args.filter { $0.coefficients.isEmpty }
                let variables = args.filter { !$0.coefficients.isEmpty }
                guard variables.count <= 1 else { throw fail(line, "non-linear term (product of variables)") }
                let k = constants.reduce(1.0) { $0 * $1.constant }
                return (variables.first ?? Term(coefficients: [:], constant: 1)).scaled(k)
            default:
                throw fail(line, "unsupported term operator '\(op)'")
            }
        }
    }
}
