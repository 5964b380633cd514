/// An s-expression as read from a VNN-LIB (SMT-LIB) file: an atom or a parenthesised list,
/// each with the line and column where it starts.
indirect enum SExpression {
    case atom(String, line: Int, column: Int)
    case list([SExpression], line: Int, column: Int)

    /// The 1-based line where the expression starts.
    var line: Int {
        switch self {
        case .atom(_, let line, _), .list(_, let line, _): return line
        }
    }

    /// The 1-based column where the expression starts.
    var column: Int {
        switch self {
        case .atom(_, _, let column), .list(_, _, let column): return column
        }
    }

    /// Splits `text` into top-level expressions.
    ///
    /// Whitespace separates atoms, `;` starts a comment that runs to the end of the line, and
    /// `\n`, `\r\n` and `\r` all end a line. Works on UTF-8 bytes, so it is linear in the size
    /// of the file.
    ///
    /// - Throws: ``DataError`` at the offending line for a `)` without its `(`, or at the line of
    ///   the opening parenthesis for a `(` that is never closed, or for nesting deeper than 256
    ///   (which keeps the recursive normalisation far from the stack limit).
    static func read(_ text: String, file: String) throws -> [SExpression] {
        let maxDepth = 256
        var stack: [(items: [SExpression], line: Int, column: Int)] = []
        var top: [SExpression] = []
        var line = 1, column = 0
        var token: [UInt8] = []
        var tokenStart = (line: 1, column: 1)
        var inComment = false
        var previous: UInt8 = 0

        func append(_ e: SExpression) {
            if stack.isEmpty { top.append(e) } else { stack[stack.count - 1].items.append(e) }
        }
        func flush() {
            guard !token.isEmpty else { return }
            append(.atom(String(decoding: token, as: UTF8.self), line: tokenStart.line, column: tokenStart.column))
            token.removeAll(keepingCapacity: true)
        }
        for byte in text.utf8 {
            defer { previous = byte }
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                flush()
                inComment = false
                if !(byte == UInt8(ascii: "\n") && previous == UInt8(ascii: "\r")) { line += 1 }
                column = 0
                continue
            }
            column += 1
            if inComment { continue }
            switch byte {
            case UInt8(ascii: ";"):
                flush()
                inComment = true
            case UInt8(ascii: "("):
                flush()
                guard stack.count < maxDepth else {
                    throw DataError(file: file, line: line, column: column, message: "parentheses nested more than \(maxDepth) deep")
                }
                stack.append(([], line, column))
            case UInt8(ascii: ")"):
                flush()
                guard let open = stack.popLast() else {
                    throw DataError(file: file, line: line, column: column, message: "unbalanced ')' without a matching '('")
                }
                append(.list(open.items, line: open.line, column: open.column))
            case UInt8(ascii: " "), UInt8(ascii: "\t"), 0x0B, 0x0C:
                flush()
            default:
                if token.isEmpty { tokenStart = (line, column) }
                token.append(byte)
            }
        }
        flush()
        if let open = stack.last {
            throw DataError(file: file, line: open.line, column: open.column, message: "unbalanced '(': not closed before the end of the file")
        }
        return top
    }
}
