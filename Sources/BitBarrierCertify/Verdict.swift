/// The answer to a robustness query at one radius.
public enum Verdict: Sendable {
    /// Proved: every input of the ball keeps the label (sound bounds).
    case verified
    /// A replayed counterexample exists.
    case falsified(Counterexample)
    /// Neither proved nor refuted by the method, with the reason.
    case unknown(String)
    /// The time budget ran out.
    case timeout
    /// Something went wrong; never counts as verified.
    case error(String)

    public var isVerified: Bool {
        if case .verified = self { return true }
        return false
    }

    public var label: String {
        switch self {
        case .verified: return "verified"
        case .falsified: return "falsified"
        case .unknown: return "unknown"
        case .timeout: return "timeout"
        case .error: return "error"
        }
    }
}
