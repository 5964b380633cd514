import BitBarrierLP
import Foundation

/// The time a side task has used, against a share of the workers' time since the start.
final class TimeShare: @unchecked Sendable {
    private let lock = NSLock()
    private let start = ContinuousClock.now
    private var spent = Duration.zero
    let fraction: Double
    let workers: Int

    init(fraction: Double, workers: Int) {
        self.fraction = fraction
        self.workers = workers
    }

    /// Whether the task has used at most its share so far (always at the start).
    func allows() -> Bool {
        let elapsed = start.duration(to: .now) * Double(workers)
        return lock.withLock { spent <= elapsed * fraction }
    }

    func spend(_ d: Duration) {
        lock.withLock { spent += d }
    }
}

/// The LPs of the branch-and-bound workers: one ``SubdomainLP`` per worker and case, built on
/// first use and freed by ``release(worker:)`` on the same thread (GLPK's environment is
/// thread-local: a problem must be deleted by the thread that made it; each worker touches only
/// its own slot).
final class LPPool: @unchecked Sendable {
    /// One worker's programs, by case (a missing key: not built yet; nil: cannot be built).
    final class Slot { var programs: [Int: SubdomainLP?] = [:] }
    private let slots: [Slot]

    init(workers: Int) {
        slots = (0..<workers).map { _ in Slot() }
    }

    func program(worker: Int, caseIndex: Int, make: () -> SubdomainLP?) -> SubdomainLP? {
        let slot = slots[worker]
        if let p = slot.programs[caseIndex] { return p }
        let p = make()
        slot.programs[caseIndex] = .some(p)
        return p
    }

    func release(worker: Int) {
        slots[worker].programs.removeAll()
    }
}
