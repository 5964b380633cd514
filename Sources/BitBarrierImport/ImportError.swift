/// A model could not be imported: names the file, the node (and its operator) and what was
/// expected.
public struct ImportError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var node: String?
    public var opType: String?
    public var message: String

    public init(file: String, node: String? = nil, opType: String? = nil, message: String) {
        self.file = file
        self.node = node
        self.opType = opType
        self.message = message
    }

    public var description: String {
        var where_ = file
        if let node { where_ += ": node '\(node)'" + (opType.map { " (\($0))" } ?? "") }
        return "\(where_): \(message)"
    }
}
