import BitBarrierCore
import Foundation

/// Loads a model file into the network IR, choosing the reader by extension.
public enum ModelLoader {
    /// Reads an `.onnx` or `.nnet` file.
    ///
    /// - Throws: `ImportError` naming the file (and node) for anything unreadable or unsupported.
    public static func load(path: String) throws -> Network {
        let url = URL(fileURLWithPath: path)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ImportError(file: path, message: "cannot read the file (\(error.localizedDescription))")
        }
        switch url.pathExtension.lowercased() {
        case "onnx":
            var importer = ONNXImporter(file: path)
            return try importer.importModel(data)
        case "nnet": return try NNetReader.parse(String(decoding: data, as: UTF8.self), file: path)
        default:
            throw ImportError(file: path, message: "unknown model format '.\(url.pathExtension)': expected .onnx or .nnet")
        }
    }
}
