/// The Python dict literal in a `.npy` header, e.g.
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }`.
///
/// Keys may come in any order, with single or double quotes, and tuples may carry a trailing
/// comma (`(3,)` is a 1-tuple, `()` a scalar).
enum NPYHeader {
    /// A value in the header dict.
    enum Value: Equatable {
        case string(String)
        case bool(Bool)
        case tuple([Int])
    }

    /// Parses the dict; `file` names the file in errors.
    static func parse(_ text: String, file: String) throws -> [String: Value] {
        var s = Substring(text)
        func fail(_ m: String) -> DataError { DataError(file: file, message: "malformed .npy header (\(m)): \(text)") }
        func skipSpace() { s = s.drop { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" } }
        func expect(_ c: Character) throws {
            skipSpace()
            guard s.first == c else { throw fail("expected '\(c)'") }
            s = s.dropFirst()
        }
        func string() throws -> String {
            skipSpace()
            guard let q = s.first, q == "'" || q == "\"" else { throw fail("expected a quoted string") }
            s = s.dropFirst()
            guard let close = s.firstIndex(of: q) else { throw fail("unterminated string") }
            defer { s = s[s.index(after: close)...] }
            return String(s[..<close])
        }
        func integer() throws -> Int {
            skipSpace()
            let digits = s.prefix { $0.isASCII && $0.isNumber }
            s = s.dropFirst(digits.count)
            if s.first == "L" { s = s.dropFirst() }  // Python 2 long suffix
            guard let v = Int(digits) else { throw fail("expected a nonnegative dimension") }
            return v
        }
        func value() throws -> Value {
            skipSpace()
            if s.first == "'" || s.first == "\"" { return .string(try string()) }
            if s.hasPrefix("True") { s = s.dropFirst(4); return .bool(true) }
            if s.hasPrefix("False") { s = s.dropFirst(5); return .bool(false) }
            try expect("(")
            var dims: [Int] = []
            while true {
                skipSpace()
                if s.first == ")" { s = s.dropFirst(); return .tuple(dims) }
                dims.append(try integer())
                skipSpace()
                if s.first == "," { s = s.dropFirst() } else if s.first != ")" { throw fail("expected ',' or ')' in the shape") }
            }
        }
        var dict: [String: Value] = [:]
        try expect("{")
        while true {
            skipSpace()
            if s.first == "}" { return dict }
            let key = try string()
            try expect(":")
            dict[key] = try value()
            skipSpace()
            if s.first == "," { s = s.dropFirst() } else if s.first != "}" { throw fail("expected ',' or '}'") }
        }
    }
}
