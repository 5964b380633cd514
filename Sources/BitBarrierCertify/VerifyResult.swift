import BitBarrierCore
import BitBarrierData
import Foundation

/// The answer to a VNN-LIB property, in VNN-COMP's terms.
public enum VerifyResult: Sendable {
    /// The property holds: no input of any box reaches its unsafe outputs (proved by sound
    /// bounds on every box of a complete split).
    case unsat
    /// A counterexample, replayed on the concrete float32 network.
    case sat(VNNWitness)
    /// Neither proved nor refuted, with the reason.
    case unknown(String)
    /// The time budget ran out.
    case timeout
    /// The property does not fit the model, or something else went wrong.
    case error(String)

    /// The first line of a VNN-COMP result file.
    public var label: String {
        switch self {
        case .unsat: return "unsat"
        case .sat: return "sat"
        case .unknown: return "unknown"
        case .timeout: return "timeout"
        case .error: return "error"
        }
    }
}

/// Options of ``PropertyChecker``.
public struct VerifyOptions: Sendable {
    /// Wall-clock budget in seconds for the whole check.
    public var timeout: Double
    /// Parallel branch-and-bound workers.
    public var workers: Int
    /// The falsification phase run before branch and bound.
    public var falsifier: Falsifier
    /// Share of the budget the falsification phase may use at most.
    public var falsificationShare: Double
    /// Called about once a second while branch and bound runs (nil: silent).
    public var progress: (@Sendable (BranchAndBound.Progress) -> Void)?

    public init(timeout: Double = 60, workers: Int = 2, falsifier: Falsifier = Falsifier(), falsificationShare: Double = 0.2,
                progress: (@Sendable (BranchAndBound.Progress) -> Void)? = nil) {
        self.timeout = timeout
        self.workers = workers
        self.falsifier = falsifier
        self.falsificationShare = falsificationShare
        self.progress = progress
    }
}

/// Complete verification of a VNN-LIB property: falsification first (centre, corners, random
/// samples, sign-gradient descent; every hit replayed), then branch and bound with CROWN
/// bounds: ``BranchAndBound`` splits inputs (up to ``maxInputsToSplit`` of them, as ACAS Xu's
/// five), ``ReLUBranchAndBound`` splits ReLUs (MNIST-size inputs).
///
/// `unsat` comes only from a branch and bound that closed every box of every case; `sat` only
/// with a ``VNNWitness`` (a float32 input inside the box whose concrete output is unsafe).
public struct PropertyChecker: Sendable {
    public let network: Network
    public let options: VerifyOptions

    public init(network: Network, options: VerifyOptions = VerifyOptions()) {
        self.network = network
        self.options = options
    }

    /// Properties with more inputs than this are searched by splitting ReLUs, not inputs.
    public static let maxInputsToSplit = 16

    /// Checks `spec`; returns the verdict and the number of boxes branch and bound bounded.
    public func check(_ spec: VNNLibSpec) -> (result: VerifyResult, boxes: Int) {
        guard spec.inputCount == network.inputSize, spec.outputCount == network.outputSize else {
            return (.error("the property has \(spec.inputCount) inputs and \(spec.outputCount) outputs; the model \(network.inputSize) and \(network.outputSize)"), 0)
        }
        guard options.timeout > 0 else { return (.timeout, 0) }
        let start = ContinuousClock.now
        let deadline = start + .milliseconds(Int64((options.timeout * 1000).rounded(.down)))
        let falsifyDeadline = start + .milliseconds(Int64((options.timeout * options.falsificationShare * 1000).rounded(.down)))
        if let w = options.falsifier.search(network: network, spec: spec, deadline: falsifyDeadline) {
            return (.sat(deepen(w, spec)), 0)
        }
        let (outcome, stats): (BranchAndBound.Outcome, BranchAndBound.Statistics)
        if spec.inputCount > Self.maxInputsToSplit && ReLUBranchAndBound.applies(to: network) {
            (outcome, stats) = ReLUBranchAndBound(network: network, spec: spec, falsifier: options.falsifier).run(deadline: deadline, workers: options.workers, progress: options.progress)
        } else {
            (outcome, stats) = BranchAndBound(network: network, spec: spec, falsifier: options.falsifier)
                .run(deadline: deadline, workers: options.workers, progress: options.progress)
        }
        switch outcome {
        case .proved: return (.unsat, stats.boxes)
        case .counterexample(let w): return (.sat(deepen(w, spec)), stats.boxes)
        case .timeout: return (.timeout, stats.boxes)
        case .unresolved(let why): return (.unknown(why), stats.boxes)
        }
    }

    /// A witness pushed deeper into the unsafe region by a few descent steps on the conjunctions
    /// it satisfies, so that onnxruntime's rounding cannot undo it; the deepest replayed point is
    /// kept (the original if nothing deeper replays).
    func deepen(_ w: VNNWitness, _ spec: VNNLibSpec) -> VNNWitness {
        let c = spec.cases[w.caseIndex]
        let y = w.output.map(Double.init)
        var best = w
        for (k, conj) in c.outputDisjuncts.enumerated() where conj.allSatisfy({ $0.holds(for: y) }) {
            if let d = options.falsifier.descend(from: w.input.map(Double.init), lower: c.lower, upper: c.upper, conjunction: k,
                                                 network: network, spec: spec, caseIndex: w.caseIndex, steps: 10),
               d.depth > best.depth {
                best = d
            }
        }
        return best
    }
}
