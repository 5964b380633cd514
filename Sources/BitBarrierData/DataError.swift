/// A data or specification file could not be read.
///
/// Names the file, the line and column where known, and what was expected, in the usual
/// `file:line:column: message` form, e.g.
/// `data.csv:12: expected 785 numbers (label + 784 features), found 783`.
/// For CSV files `column` is the 1-based field index; for VNN-LIB files it is the 1-based
/// character column. Every reader in this module throws `DataError` for malformed input and
/// never traps.
public struct DataError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file being read (as given by the caller).
    public var file: String
    /// The 1-based line, when the problem has one.
    public var line: Int?
    /// The 1-based column or CSV field index, when known.
    public var column: Int?
    /// What went wrong, phrased as what was expected and what was found.
    public var message: String

    /// Creates an error located at `file`, optionally at `line` and `column`.
    public init(file: String, line: Int? = nil, column: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `file:line:column: message`, leaving out the parts that are unknown.
    public var description: String {
        var place = file
        if let line {
            place += ":\(line)"
            if let column { place += ":\(column)" }
        }
        return "\(place): \(message)"
    }
}
