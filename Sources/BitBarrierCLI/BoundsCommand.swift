import ArgumentParser
import BitBarrierCertify
import BitBarrierCore
import BitBarrierLP
import Foundation

/// The methods the CLI offers.
enum MethodChoice: String, ExpressibleByArgument, CaseIterable {
    case ibp, crown
    case crownIBP = "crown-ibp"
    case lp, milp

    /// The certification method with the LP options.
    func certification(_ options: LPOptions) -> CertificationMethod {
        switch self {
        case .ibp: return .bounds(.ibp)
        case .crown: return .bounds(.crown)
        case .crownIBP: return .bounds(.crownIBP)
        case .lp: return .lp(options)
        case .milp: return .milp(options)
        }
    }
}

/// LP/MILP options shared by `bounds` and `certify`.
struct LPOptionGroup: ParsableArguments {
    @Option(name: .long, help: "LP/MILP: re-bound at most this many unstable neurons per layer by LP (most unstable first).")
    var lpMaxNeurons: Int = 10_000

    @Option(name: .long, help: "LP/MILP: time limit per LP or MILP solve, seconds.")
    var lpTimeLimit: Double = 30

    var options: LPOptions { LPOptions(maxNeuronsPerLayer: lpMaxNeurons, timeLimit: lpTimeLimit) }

    func validate() throws {
        guard lpMaxNeurons >= 0 else { throw ValidationError("--lp-max-neurons must be >= 0") }
        guard lpTimeLimit.isFinite, lpTimeLimit > 0 else { throw ValidationError("--lp-time-limit must be a positive number of seconds") }
    }
}

/// `bitbarrier bounds MODEL --data FILE --eps E --method ibp|crown`.
struct BoundsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bounds",
        abstract: "Sound bounds of every output and of every margin over the eps-ball around each input.",
        discussion: """
            For each input x with label y, over every x' with |x' - x|_inf <= eps (clipped to --domain), \
            prints lower/upper bounds of every output and lower bounds of logit_y - logit_j for j != y. \
            Bounds hold for the real-number function of the model's weights: floating-point error in \
            BitBarrier's own arithmetic is accounted for.
            """
    )

    @OptionGroup var model: ModelArgument
    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var domainOptions: DomainOptions

    @Option(name: .long, help: "Radius of the L-infinity ball.")
    var eps: Double

    @Option(name: .long, help: "Bounding method: ibp, crown, crown-ibp (CROWN at the output, IBP inside), lp (CROWN then LP-tightened with GLPK, every LP bound made safe from its dual); milp gives lp's bounds here (use certify for exact answers).")
    var method: MethodChoice = .crown

    @OptionGroup var lpOptions: LPOptionGroup

    @Option(name: .long, help: "Write the results as JSON to this file ('-' for stdout).")
    var json: String?

    func validate() throws {
        guard eps.isFinite, eps >= 0 else { throw ValidationError("--eps must be a nonnegative number, got \(eps)") }
    }

    struct Sample: Encodable {
        var index: Int
        var label: Int?
        var outputLower: [Double]
        var outputUpper: [Double]
        var marginLower: [String: Double]?
        var timeS: Double
        enum CodingKeys: String, CodingKey {
            case index, label
            case outputLower = "output_lower", outputUpper = "output_upper", marginLower = "margin_lower", timeS = "time_s"
        }
    }

    struct Result: Encodable {
        var model: String
        var method: String
        var eps: Double
        var samples: [Sample]
    }

    func run() throws {
        BLAS.useSingleThread()
        let network = try model.load()
        let dataset = try dataOptions.load(for: network)
        let domain = try domainOptions.limits(for: dataset)
        let analysis = BoundAnalysis(network: network)
        let n = network.outputSize
        var samples: [Sample] = []
        for (i, x) in dataset.features.enumerated() {
            let t0 = Date()
            let box = Bounds(center: x, epsilon: eps, clipLower: domain?.lower, clipUpper: domain?.upper)
            // One analysis for all rows: outputs from below (I), from above (-I), then margins.
            var rows = LinearRows.identity(n)
            let negated = LinearRows.identity(n, sign: -1)
            rows.rows += n
            rows.values += negated.values
            let label = dataset.labels?[i]
            if let label {
                let margin = BoundAnalysis.marginRows(label: label, classes: n)
                rows.rows += margin.rows
                rows.values += margin.values
            }
            let lows: [Double]
            switch method.certification(lpOptions.options) {
            case .bounds(let m): lows = analysis.outputLowerBounds(rows, box: box, method: m)
            case .lp(let o), .milp(let o): lows = try LPAnalysis(network: network, options: o).outputLowerBounds(rows, box: box)
            }
            var margins: [String: Double]? = nil
            if let label {
                let others = (0..<n).filter { $0 != label }
                margins = Dictionary(uniqueKeysWithValues: zip(others.map(String.init), lows[(2 * n)...]))
            }
            samples.append(Sample(index: i, label: label, outputLower: Array(lows[0..<n]), outputUpper: lows[n..<(2 * n)].map { -$0 },
                                  marginLower: margins, timeS: Date().timeIntervalSince(t0)))
        }
        let result = Result(model: model.model, method: method.rawValue, eps: eps, samples: samples)
        if let json {
            try Console.writeJSON(result, to: json)
            if json == "-" { return }
        }
        for s in samples {
            Console.out("input \(s.index)" + (s.label.map { " (label \($0))" } ?? ""))
            for j in 0..<n {
                Console.out(String(format: "  y%-3d [%.6g, %.6g]", j, s.outputLower[j], s.outputUpper[j]))
            }
            if let m = s.marginLower {
                let worst = m.values.min() ?? .nan
                Console.out(String(format: "  min margin lower bound %.6g -> %@", worst, worst > 0 ? "verified" : "not verified"))
            }
        }
    }
}
