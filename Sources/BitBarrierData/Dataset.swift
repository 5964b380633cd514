import Foundation

/// Samples for a model: one flattened (C order) feature row per sample and optional labels.
///
/// Readers: ``loadCSV(path:hasLabels:pixelScale:)`` (label first, then features),
/// ``loadNPY(features:labels:pixelScale:)`` (NumPy `.npy` arrays), and ``load(path:labels:pixelScale:hasLabels:)``,
/// which chooses by extension. All of them throw ``DataError`` for malformed input.
public struct Dataset: Sendable, Equatable {
    /// One row of `width` features per sample.
    public var features: [[Float]]
    /// One nonnegative class label per sample, when the data carries labels.
    public var labels: [Int]?
    /// The number of features in every row.
    public var width: Int
    /// The file the features came from (used in error messages).
    public var source: String

    /// Creates a dataset from already-validated rows.
    public init(features: [[Float]], labels: [Int]?, width: Int, source: String) {
        self.features = features
        self.labels = labels
        self.width = width
        self.source = source
    }

    /// The number of samples.
    public var count: Int { features.count }

    /// Loads a `.csv` or `.npy` dataset, chosen by the file's extension.
    ///
    /// - Parameters:
    ///   - path: a `.csv` (label first unless `hasLabels` is false) or `.npy` features file.
    ///   - labels: an optional `.npy` of labels, only for `.npy` features.
    ///   - pixelScale: divides every feature (255 for 0...255 pixels).
    ///   - hasLabels: whether a CSV's first column is the label.
    /// - Throws: ``DataError`` for an unknown extension or malformed content.
    public static func load(path: String, labels: String? = nil, pixelScale: Float? = nil, hasLabels: Bool = true) throws -> Dataset {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "csv":
            if labels != nil {
                throw DataError(file: path, message: "separate labels are for .npy features; a CSV carries its labels in the first column")
            }
            return try loadCSV(path: path, hasLabels: hasLabels, pixelScale: pixelScale)
        case "npy":
            return try loadNPY(features: path, labels: labels, pixelScale: pixelScale)
        default:
            throw DataError(file: path, message: "unknown data format: expected a .csv or .npy file")
        }
    }

    /// Checks that the rows have the model's input width.
    ///
    /// - Throws: ``DataError`` such as "data has 783 features per row but the model input has 784".
    public func checkWidth(_ expected: Int) throws {
        guard width == expected else {
            throw DataError(file: source, message: "data has \(width) features per row but the model input has \(expected)")
        }
    }

    /// Reads a whole file, turning I/O failures into ``DataError``.
    static func read(_ path: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw DataError(file: path, message: "cannot read the file (\(error.localizedDescription))")
        }
    }

    /// Checks a pixel scale: it must be finite and positive.
    static func validate(pixelScale: Float?, file: String) throws {
        if let s = pixelScale, !(s.isFinite && s > 0) {
            throw DataError(file: file, message: "pixel scale \(s) must be a finite positive number")
        }
    }
}
