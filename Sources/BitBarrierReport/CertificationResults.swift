import Foundation

/// The versioned results document `certify` writes and `report` and `gate` read
/// (schema: Reports/schema/certify.schema.json).
public struct CertificationResults: Codable, Sendable {
    public static let currentSchemaVersion = 1

    public struct Provenance: Codable, Sendable {
        public var model: String
        public var modelSHA256: String?
        public var data: String
        public var dataSHA256: String?
        public var tool: String
        public var date: String
        public var machine: String
        public var options: [String: String]

        enum CodingKeys: String, CodingKey {
            case model, data, tool, date, machine, options
            case modelSHA256 = "model_sha256", dataSHA256 = "data_sha256"
        }

        public init(model: String, data: String, tool: String, options: [String: String], date: Date = Date()) {
            self.model = model
            modelSHA256 = SHA256.hex(ofFile: model)
            self.data = data
            dataSHA256 = SHA256.hex(ofFile: data)
            self.tool = tool
            let f = ISO8601DateFormatter()
            self.date = f.string(from: date)
            var u = utsname()
            uname(&u)
            let machine = withUnsafeBytes(of: &u.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            self.machine = "\(machine), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB"
            self.options = options
        }
    }

    public struct Sample: Codable, Sendable {
        public var index: Int
        public var label: Int
        public var predicted: Int
        public var certifiedRadius: Double
        public var attackRadius: Double?
        public var verified: [String: Bool]
        public var timeS: Double

        enum CodingKeys: String, CodingKey {
            case index, label, predicted, verified
            case certifiedRadius = "certified_radius", attackRadius = "attack_radius", timeS = "time_s"
        }

        public init(index: Int, label: Int, predicted: Int, certifiedRadius: Double, attackRadius: Double?, verified: [String: Bool], timeS: Double) {
            self.index = index
            self.label = label
            self.predicted = predicted
            self.certifiedRadius = certifiedRadius
            self.attackRadius = attackRadius
            self.verified = verified
            self.timeS = timeS
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encode(label, forKey: .label)
            try c.encode(predicted, forKey: .predicted)
            try c.encode(certifiedRadius, forKey: .certifiedRadius)
            try c.encode(attackRadius, forKey: .attackRadius)  // null without an attack
            try c.encode(verified, forKey: .verified)
            try c.encode(timeS, forKey: .timeS)
        }
    }

    public struct Summary: Codable, Sendable {
        public var inputs: Int
        public var cleanAccuracy: Double
        public var certifiedAccuracy: [String: Double]
        public var attackAccuracy: [String: Double]?
        public var medianRadius: Double
        public var meanRadius: Double
        public var medianAttackRadius: Double?
        public var wallTimeS: Double

        enum CodingKeys: String, CodingKey {
            case inputs
            case cleanAccuracy = "clean_accuracy", certifiedAccuracy = "certified_accuracy", attackAccuracy = "attack_accuracy"
            case medianRadius = "median_radius", meanRadius = "mean_radius", medianAttackRadius = "median_attack_radius"
            case wallTimeS = "wall_time_s"
        }
    }

    public var schemaVersion: Int
    public var kind: String
    public var model: String
    public var method: String
    public var provenance: Provenance
    public var samples: [Sample]
    public var summary: Summary

    enum CodingKeys: String, CodingKey {
        case kind, model, method, provenance, samples, summary
        case schemaVersion = "schema_version"
    }

    /// The JSON key of a radius: its shortest decimal form ("0.01").
    public static func key(_ eps: Double) -> String { "\(eps)" }

    public init(method: String, provenance: Provenance, samples: [Sample], radii: [Double], wallTimeS: Double, attack: Bool) {
        schemaVersion = Self.currentSchemaVersion
        kind = "certify"
        model = provenance.model
        self.method = method
        self.provenance = provenance
        self.samples = samples
        let n = Double(max(samples.count, 1))
        var certified: [String: Double] = [:], attacked: [String: Double] = [:]
        for e in radii {
            let k = Self.key(e)
            certified[k] = Double(samples.filter { $0.verified[k] == true }.count) / n
            // Inputs with no counterexample found at or below e: an upper bound on robust accuracy.
            attacked[k] = Double(samples.filter { $0.predicted == $0.label && ($0.attackRadius.map { $0 > e } ?? true) }.count) / n
        }
        let radiiSorted = samples.map(\.certifiedRadius).sorted()
        let attackSorted = samples.compactMap(\.attackRadius).sorted()
        summary = Summary(
            inputs: samples.count,
            cleanAccuracy: Double(samples.filter { $0.predicted == $0.label }.count) / n,
            certifiedAccuracy: certified,
            attackAccuracy: attack ? attacked : nil,
            medianRadius: Self.median(radiiSorted),
            meanRadius: radiiSorted.reduce(0, +) / n,
            medianAttackRadius: attack && !samples.isEmpty && attackSorted.count == samples.count ? Self.median(attackSorted) : nil,
            wallTimeS: wallTimeS)
    }

    public static func median(_ sorted: [Double]) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let m = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[m] : 0.5 * (sorted[m - 1] + sorted[m])
    }

    /// Reads a results file, with a clear error for anything else.
    public static func load(path: String) throws -> CertificationResults {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ReportError(file: path, message: "cannot read the file (\(error.localizedDescription))")
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        do {
            let r = try decoder.decode(CertificationResults.self, from: data)
            guard r.schemaVersion == currentSchemaVersion, r.kind == "certify" else {
                throw ReportError(file: path, message: "schema_version \(r.schemaVersion) kind '\(r.kind)': expected version \(currentSchemaVersion) of a certify result")
            }
            return r
        } catch let e as ReportError {
            throw e
        } catch let DecodingError.keyNotFound(key, ctx) {
            throw ReportError(file: path, message: "missing field '\(key.stringValue)' at \(ctx.codingPath.map(\.stringValue).joined(separator: "."))")
        } catch let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx) {
            throw ReportError(file: path, message: "wrong type at '\(ctx.codingPath.map(\.stringValue).joined(separator: "."))': \(ctx.debugDescription)")
        } catch {
            throw ReportError(file: path, message: "not a certify results file (\(error))")
        }
    }
}

extension CertificationResults {
    /// The two results inside a `compare` document (FP32 first, then int8).
    public static func loadComparison(path: String) throws -> (CertificationResults, CertificationResults) {
        struct Pair: Decodable { var fp32: CertificationResults; var int8: CertificationResults }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        do {
            let p = try decoder.decode(Pair.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            return (p.fp32, p.int8)
        } catch {
            throw ReportError(file: path, message: "not a compare results file (\(error))")
        }
    }
}

/// A results file could not be used: names the file and what was expected.
public struct ReportError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var message: String
    public init(file: String, message: String) {
        self.file = file
        self.message = message
    }
    public var description: String { "\(file): \(message)" }
}
