import Foundation

enum Shared {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let shared = root.deletingLastPathComponent().appendingPathComponent("shared")
    static let benchmarks = shared.appendingPathComponent("benchmarks")
    static let mnistCSV = benchmarks.appendingPathComponent("mnist/eran_mnist_test.csv").path
    static func net(_ name: String) -> String { benchmarks.appendingPathComponent("vnncomp2021/mnistfc/\(name).onnx").path }
}
