import ArgumentParser
import BitBarrierCertify
import BitBarrierCore
import BitBarrierImport
import BitBarrierLP
import BitBarrierReport
import Foundation

/// `bitbarrier study --variant NAME=MODEL ... --data FILE`: several variants of one model on the
/// same inputs, and what the numbers say (issue 8's question: does int8 make it less robust?).
struct StudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "Certify several variants of a model (FP32, int8, Lipschitz-regularised, QAT) on the same inputs and state what held.",
        discussion: """
            Each --variant NAME=MODEL is certified on the same inputs (certified radius, certified accuracy at \
            each --eps, PGD attack radius with --attack). For int8 variants (an input QuantizeLinear) it adds the \
            barrier radius and the per-layer width in bins at --absorb-eps (absorption vs amplification); for \
            float variants the sound global L-infinity Lipschitz bound. The findings compare each --pair \
            BASE,OTHER (default: every variant against the first) in sentences that carry their numbers; a \
            relative difference under 5%, or a median that the per-input counts contradict, is reported as \
            no conclusion.

            Example:
              bitbarrier study --variant fp32=model_fp32.onnx --variant int8=model_int8_ptq_qdq.onnx \\
                --data test.csv --eps 0.01,0.02 --attack --markdown Reports/study.md --json Reports/study.json
            """
    )

    @Option(name: .long, help: ArgumentHelp("A variant to certify (repeat).", valueName: "NAME=MODEL")) var variant: [String] = []
    @Option(name: .long, help: ArgumentHelp("A comparison to state (repeat); default: every variant against the first.", valueName: "BASE,OTHER"))
    var pair: [String] = []
    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var domainOptions: DomainOptions
    @Option(name: .long, help: "Method: ibp, crown, crown-ibp or lp.") var method: MethodChoice = .crown
    @OptionGroup var lpOptions: LPOptionGroup
    @Option(name: .long, help: "Radii to check, comma separated.") var eps: String?
    @Option(name: .long, help: "Radius for the per-layer absorption statistics of int8 variants.") var absorbEps: Double = 0.01
    @Flag(name: .long, help: "Also run PGD (attack radius, an upper bound).") var attack = false
    @Option(name: .long, help: "Largest radius searched.") var maxRadius: Double = 0.5
    @Option(name: .long, help: "Relative tolerance of the radius search.") var tolerance: Double = 1e-3
    @Option(name: .long, help: "Parallel workers (default: all cores).") var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: .long, help: "Write the study as JSON ('-' for stdout).") var json: String?
    @Option(name: .long, help: "Write the Markdown summary to this file.") var markdown: String?
    @Flag(name: .long, help: "Leave out timings, date and machine, so reruns give identical files (for committed reports).")
    var reproducible = false

    func parsedVariants() throws -> [(name: String, path: String)] {
        try variant.map { v in
            guard let eq = v.firstIndex(of: "="), eq != v.startIndex, v.index(after: eq) != v.endIndex else {
                throw ValidationError("--variant must be NAME=MODEL, got '\(v)'")
            }
            return (String(v[..<eq]), String(v[v.index(after: eq)...]))
        }
    }

    func parsedPairs(_ names: [String]) throws -> [(String, String)] {
        if pair.isEmpty { return names.dropFirst().map { (names[0], $0) } }
        return try pair.map { p in
            let parts = p.split(separator: ",").map(String.init)
            guard parts.count == 2, names.contains(parts[0]), names.contains(parts[1]) else {
                throw ValidationError("--pair must be BASE,OTHER with two variant names (\(names.joined(separator: ", "))), got '\(p)'")
            }
            return (parts[0], parts[1])
        }
    }

    func validate() throws {
        let v = try parsedVariants()
        guard !v.isEmpty else { throw ValidationError("give at least one --variant NAME=MODEL") }
        guard Set(v.map(\.name)).count == v.count else { throw ValidationError("variant names must be distinct") }
        _ = try parsedPairs(v.map(\.name))
        guard method != .milp else { throw ValidationError("--method milp is not offered for studies (use certify --method milp per model)") }
        guard maxRadius.isFinite, maxRadius > 0 else { throw ValidationError("--max-radius must be a positive number, got \(maxRadius)") }
        guard absorbEps.isFinite, absorbEps >= 0 else { throw ValidationError("--absorb-eps must be a nonnegative number, got \(absorbEps)") }
        guard tolerance.isFinite, tolerance > 0, tolerance < 1 else { throw ValidationError("--tolerance must be in (0, 1), got \(tolerance)") }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
        if let eps { _ = try parseEpsilons(eps, option: "--eps") }
    }

    func run() throws {
        BLAS.useSingleThread()
        let specs = try parsedVariants()
        let networks = try specs.map { try ModelLoader.loadForCLI($0.path) }
        for (s, n) in zip(specs, networks) where n.inputSize != networks[0].inputSize || n.outputSize != networks[0].outputSize {
            throw ValidationError("\(s.path): shape \(n.inputSize) -> \(n.outputSize) differs from the first variant's \(networks[0].inputSize) -> \(networks[0].outputSize)")
        }
        let dataset = try dataOptions.load(for: networks[0])
        guard let labels = dataset.labels else { throw ValidationError("\(dataOptions.data): study needs labels") }
        let domain = try domainOptions.limits(for: dataset)
        let radii = try eps.map { try parseEpsilons($0, option: "--eps") } ?? []
        var variants: [StudyResults.Variant] = []
        for (spec, net) in zip(specs, networks) {
            var certification = CertificationRunner(
                network: net, features: dataset.features, labels: labels, domain: domain, method: method,
                lpOptions: lpOptions.options, maxRadius: maxRadius, tolerance: tolerance, attack: attack, radii: radii, jobs: jobs)
                .results(model: spec.path, data: dataOptions.data,
                         options: ["max_radius": "\(maxRadius)", "tolerance": "\(tolerance)", "attack": "\(attack)"], progressLabel: spec.name)
            if reproducible {
                for k in certification.samples.indices { certification.samples[k].timeS = 0 }
                certification.summary.wallTimeS = 0
                certification.provenance.date = ""
                certification.provenance.machine = ""
            }
            let lipschitz = LipschitzBounds(network: net)
            let lipRadii = zip(dataset.features, labels).compactMap { x, y -> Double? in
                argmax(net.evaluate(x)) == y ? lipschitz.certifiedRadius(center: x, label: y) : nil
            }.sorted()
            let absorption = AbsorptionAnalysis(network: net)
            var barrier: [Double?]? = nil, layers: [StudyResults.LayerWidth]? = nil
            if absorption.inputQuantizer != nil {
                barrier = dataset.features.map { x in
                    absorption.barrierRadius(x, domainLower: domain?.lower, domainUpper: domain?.upper)
                }
                let perInput = dataset.features.map { x in
                    absorption.layers(Bounds(center: x, epsilon: absorbEps, clipLower: domain?.lower, clipUpper: domain?.upper),
                                      method: method == .ibp ? .ibp : .crown)
                }
                if let first = perInput.first {
                    let n = Double(perInput.count)
                    layers = first.indices.map { k in
                        StudyResults.LayerWidth(
                            name: first[k].name,
                            fixedFraction: perInput.map { Double($0[k].singleBin) / Double(max($0[k].neurons, 1)) }.reduce(0, +) / n,
                            meanWidthBins: perInput.map { $0[k].meanWidthBins }.reduce(0, +) / n)
                    }
                }
            }
            variants.append(StudyResults.Variant(
                name: spec.name, certification: certification, lipschitzLInf: lipschitz.networkLInf,
                medianLipschitzRadius: lipschitz.networkLInf == nil || lipRadii.isEmpty ? nil : CertificationResults.median(lipRadii),
                barrierRadius: barrier, layers: layers))
        }
        let study = StudyResults(data: dataOptions.data, method: method.rawValue, absorbEps: absorbEps, variants: variants,
                                 pairs: try parsedPairs(specs.map(\.name)))
        if let json { try Console.writeJSON(study, to: json) }
        let md = study.markdown()
        if let markdown {
            do { try md.write(toFile: markdown, atomically: true, encoding: .utf8) } catch {
                throw ValidationError("cannot write \(markdown): \(error.localizedDescription)")
            }
        }
        if json != "-" { Console.out(md) }
    }
}
