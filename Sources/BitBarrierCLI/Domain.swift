import Foundation
import ArgumentParser
import BitBarrierData

/// The valid input domain the eps-ball is clipped to.
struct DomainOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Valid input range the ball is clipped to: 'auto' ([0,1] when every feature lies in [0,1], as for images; otherwise none), 'none', or 'LO,HI'.",
        valueName: "auto|none|LO,HI"))
    var domain: String = "auto"

    /// Lower and upper limits per feature, or nil for an unbounded domain.
    func limits(for dataset: Dataset) throws -> (lower: [Double], upper: [Double])? {
        let width = dataset.width
        switch domain {
        case "none":
            return nil
        case "auto":
            let inUnit = dataset.features.allSatisfy { $0.allSatisfy { $0 >= 0 && $0 <= 1 } }
            return inUnit ? ([Double](repeating: 0, count: width), [Double](repeating: 1, count: width)) : nil
        default:
            let parts = domain.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2, let lo = parts[0], let hi = parts[1], lo.isFinite, hi.isFinite, lo <= hi else {
                throw ValidationError("--domain must be 'auto', 'none' or 'LO,HI' with LO <= HI, got '\(domain)'")
            }
            return ([Double](repeating: lo, count: width), [Double](repeating: hi, count: width))
        }
    }
}

/// Parses a comma-separated list of radii, each finite and nonnegative.
func parseEpsilons(_ text: String, option: String) throws -> [Double] {
    let values = text.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
    return try values.map { s in
        guard let v = Double(s), v.isFinite, v >= 0 else {
            throw ValidationError("\(option): '\(s)' is not a nonnegative number")
        }
        return v
    }
}
