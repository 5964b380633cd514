import ArgumentParser
import BitBarrierCertify
import BitBarrierCore
import Foundation

/// `bitbarrier absorb MODEL --data FILE --eps E`: where int8 rounding swallows the perturbation.
struct AbsorbCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "absorb",
        abstract: "For an int8 model: which input coordinates and neurons stay in one quantization bin under an eps-ball.",
        discussion: """
            Per input: the barrier radius (below it the input quantizer maps the whole ball to the same \
            quantized input, so the model's output provably cannot change), how many coordinates are \
            absorbed at eps and the smallest distance to a rounding boundary (in the quantizer's own \
            float32 arithmetic). Per quantized layer (sound bounds over the ball): neurons fixed to one \
            bin, neurons that widen, mean width in bins; the growth from layer to layer is the error \
            amplification.
            """
    )

    @OptionGroup var model: ModelArgument
    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var domainOptions: DomainOptions

    @Option(name: .long, help: "Radius of the L-infinity ball.")
    var eps: Double

    @Option(name: .long, help: "Bounds for the layer statistics: ibp or crown.")
    var method: MethodChoice = .crown

    @Option(name: .long, help: "Write the results as JSON to this file ('-' for stdout).")
    var json: String?

    func validate() throws {
        guard eps.isFinite, eps >= 0 else { throw ValidationError("--eps must be a nonnegative number, got \(eps)") }
        guard method == .ibp || method == .crown else { throw ValidationError("--method must be ibp or crown for absorb") }
    }

    struct Sample: Encodable {
        var index: Int
        var barrierRadius: Double?
        var absorbedCoordinates: Int
        var coordinates: Int
        var nearestBoundary: Double?
        var absorbed: [Bool]
        var layers: [AbsorptionAnalysis.LayerAbsorption]
        enum CodingKeys: String, CodingKey {
            case index, coordinates, layers, absorbed
            case barrierRadius = "barrier_radius", absorbedCoordinates = "absorbed_coordinates", nearestBoundary = "nearest_boundary"
        }
    }

    struct Result: Encodable {
        var schemaVersion = 1
        var kind = "absorb"
        var model: String
        var eps: Double
        var method: String
        var inputShape: [Int]
        var samples: [Sample]
        var summary: [String: Double]
        enum CodingKeys: String, CodingKey {
            case kind, model, eps, method, samples, summary
            case schemaVersion = "schema_version", inputShape = "input_shape"
        }
    }

    func run() throws {
        BLAS.useSingleThread()
        let network = try model.load()
        let dataset = try dataOptions.load(for: network)
        let domain = try domainOptions.limits(for: dataset)
        let analysis = AbsorptionAnalysis(network: network)
        guard analysis.inputQuantizer != nil else {
            throw ValidationError("\(model.model): no QuantizeLinear reads the model input; absorb needs an int8 (QDQ) model")
        }
        var samples: [Sample] = []
        for (i, x) in dataset.features.enumerated() {
            let radii = analysis.absorbedRadii(x, domainLower: domain?.lower, domainUpper: domain?.upper) ?? []
            let barrier = radii.min()
            let box = Bounds(center: x, epsilon: eps, clipLower: domain?.lower, clipUpper: domain?.upper)
            samples.append(Sample(
                index: i, barrierRadius: barrier.flatMap { $0.isFinite ? $0 : nil },
                absorbedCoordinates: radii.filter { $0 > eps }.count, coordinates: radii.count,
                nearestBoundary: barrier.flatMap { $0.isFinite ? $0 : nil }, absorbed: radii.map { $0 > eps }, layers: analysis.layers(box, method: method == .ibp ? .ibp : .crown)))
        }
        let barriers = samples.map { $0.barrierRadius ?? .infinity }.sorted()
        let n = Double(max(samples.count, 1))
        var summary: [String: Double] = [
            "inputs": Double(samples.count),
            "fraction_fully_absorbed": Double(barriers.filter { $0 > eps }.count) / n,
            "mean_fraction_absorbed_coordinates": samples.map { Double($0.absorbedCoordinates) / Double(max($0.coordinates, 1)) }.reduce(0, +) / n,
        ]
        if let m = barriers.first, m.isFinite { summary["min_barrier_radius"] = m }
        let finite = barriers.filter(\.isFinite)
        if !finite.isEmpty { summary["median_barrier_radius"] = finite[finite.count / 2] }
        let result = Result(model: model.model, eps: eps, method: method.rawValue, inputShape: network.inputShape, samples: samples, summary: summary)
        if let json {
            try Console.writeJSON(result, to: json)
            if json == "-" { return }
        }
        Console.out("model \(model.model), eps \(eps), \(samples.count) inputs")
        for s in samples {
            let layerText = s.layers.map { "\($0.singleBin)/\($0.neurons) fixed, width \(String(format: "%.2f", $0.meanWidthBins))" }.joined(separator: " | ")
            Console.out("input \(s.index): barrier radius \(s.barrierRadius.map { String(format: "%.3g", $0) } ?? "inf"), "
                        + "\(s.absorbedCoordinates)/\(s.coordinates) coordinates absorbed; layers: \(layerText)")
        }
        Console.out(String(format: "fully absorbed at eps %g: %.1f%% of inputs; mean absorbed coordinates %.1f%%",
                           eps, 100 * summary["fraction_fully_absorbed"]!, 100 * summary["mean_fraction_absorbed_coordinates"]!))
    }
}
