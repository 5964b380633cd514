import Foundation

/// The document `absorb` writes (kind "absorb"), read by `report` for the absorption plots.
public struct AbsorptionResults: Decodable, Sendable {
    public struct Layer: Decodable, Sendable {
        public var node: Int
        public var name: String
        public var neurons: Int
        public var singleBin: Int
        public var widened: Int
        public var meanWidthBins: Double
    }

    public struct Sample: Decodable, Sendable {
        public var index: Int
        public var barrierRadius: Double?
        public var absorbed: [Bool]
        public var layers: [Layer]
    }

    public var model: String
    public var eps: Double
    public var inputShape: [Int]
    public var samples: [Sample]

    /// Per quantized layer: mean fraction of neurons fixed to one bin, and mean width in bins.
    public var layerSummary: [(name: String, fixed: Double, width: Double)] {
        guard let first = samples.first else { return [] }
        return first.layers.indices.map { k in
            let fixed = samples.map { Double($0.layers[k].singleBin) / Double(max($0.layers[k].neurons, 1)) }.reduce(0, +) / Double(samples.count)
            let width = samples.map { $0.layers[k].meanWidthBins }.reduce(0, +) / Double(samples.count)
            return (first.layers[k].name, fixed, width)
        }
    }

    /// Per input coordinate: the fraction of inputs for which it is absorbed at eps.
    public var coordinateFractions: [Double] {
        guard let n = samples.first?.absorbed.count else { return [] }
        return (0..<n).map { i in Double(samples.filter { $0.absorbed[i] }.count) / Double(samples.count) }
    }

    public static func load(path: String) throws -> AbsorptionResults {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(AbsorptionResults.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ReportError(file: path, message: "not an absorb results file (\(error))")
        }
    }

    /// The kind of a results document ("certify", "absorb", "compare"), or nil.
    public static func kind(ofFile path: String) -> String? {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return object["kind"] as? String
    }
}
