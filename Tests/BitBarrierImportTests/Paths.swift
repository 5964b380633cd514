import Foundation

/// Locations the tests read: the package root, its fixtures, and ../shared (read-only data).
enum Paths {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("Tests/BitBarrierImportTests/Fixtures")
    static let shared = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
    static let benchmarks = shared.appendingPathComponent("benchmarks")

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }
}

/// An onnxruntime reference file written by Scripts/make_references.py.
struct Reference: Decodable {
    var model: String
    var input_shape: [Int]
    var inputs: [[Float]]
    var outputs: [[Float]]

    static func load(_ url: URL) throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }
}
