import Foundation

/// A unit of branch-and-bound work (a box or a ReLU sub-domain).
protocol BranchItem: Sendable {
    /// Lower is taken first: the items likeliest to hold a counterexample.
    var priority: Double { get }
    var depth: Int { get }
}

/// What processing one item gave.
enum BranchStep<Item: BranchItem> {
    /// Proved: no unsafe output on the item.
    case closed
    /// Split into items that cover it.
    case split([Item])
    /// A replayed counterexample.
    case found(VNNWitness)
    /// Neither proved nor splittable.
    case stuck
}

/// The shared work list of the branch-and-bound workers: a binary min-heap on the items'
/// priority (best first: the items likeliest to hold a counterexample go first; a proof must
/// close them all anyway), the number of boxes taken but not completed, and the first final
/// outcome.
final class WorkList<Item: BranchItem>: @unchecked Sendable {
    private var heap: [Item]
    private var inFlight = 0
    private var outcome: BranchAndBound.Outcome? = nil
    private var unresolved = false
    private var statistics = BranchAndBound.Statistics()
    private let condition = NSCondition()
    /// Called with a snapshot about once a second (on a worker's thread, outside the lock).
    let onProgress: (@Sendable (BranchAndBound.Progress) -> Void)?
    private var lastReport = ContinuousClock.now

    init(_ items: [Item], onProgress: (@Sendable (BranchAndBound.Progress) -> Void)? = nil) {
        self.onProgress = onProgress
        heap = []
        for item in items { push(item) }
    }

    /// Runs `workers` threads taking items and processing them until the search ends or the
    /// deadline passes; `process` gets the item and the worker's index (for per-thread state),
    /// and `finished` runs on each worker's thread as it stops (to free that state there).
    func run(workers: Int, deadline: ContinuousClock.Instant, process: @Sendable @escaping (Item, Int) -> BranchStep<Item>,
             finished: @Sendable @escaping (Int) -> Void = { _ in })
        -> (BranchAndBound.Outcome, BranchAndBound.Statistics) {
        DispatchQueue.concurrentPerform(iterations: max(1, workers)) { worker in
            while let item = take() {
                if ContinuousClock.now >= deadline { finish(.timeout); break }
                switch process(item, worker) {
                case .closed: complete(children: [])
                case .split(let children): complete(children: children)
                case .found(let w): finish(.counterexample(w))
                case .stuck: markUnresolved(); complete(children: [])
                }
            }
            finished(worker)
        }
        return result()
    }

    private func push(_ item: Item) {
        heap.append(item)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].priority < heap[parent].priority else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private func pop() -> Item? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && heap[l].priority < heap[m].priority { m = l }
            if r < heap.count && heap[r].priority < heap[m].priority { m = r }
            if m == i { break }
            heap.swapAt(i, m)
            i = m
        }
        return top
    }

    /// The next box, or nil when the search is over (an outcome is set, or no box is left and
    /// none is being processed).
    func take() -> Item? {
        var report: BranchAndBound.Progress? = nil
        let item = takeLocked(report: &report)
        if let report, let onProgress { onProgress(report) }
        return item
    }

    private func takeLocked(report: inout BranchAndBound.Progress?) -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if outcome != nil { return nil }
            if let item = pop() {
                inFlight += 1
                statistics.boxes += 1
                statistics.maxDepth = max(statistics.maxDepth, item.depth)
                if onProgress != nil {
                    let now = ContinuousClock.now
                    if now - lastReport >= .seconds(1) {
                        lastReport = now
                        report = BranchAndBound.Progress(boxes: statistics.boxes, open: heap.count + inFlight, maxDepth: statistics.maxDepth)
                    }
                }
                return item
            }
            if inFlight == 0 { return nil }
            condition.wait()
        }
    }

    func complete(children: [Item]) {
        condition.lock()
        for child in children { push(child) }
        inFlight -= 1
        condition.broadcast()
        condition.unlock()
    }

    func markUnresolved() {
        condition.lock()
        unresolved = true
        condition.unlock()
    }

    /// Sets the final outcome (the first one wins) and wakes every worker.
    func finish(_ result: BranchAndBound.Outcome) {
        condition.lock()
        if outcome == nil { outcome = result }
        inFlight -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// The outcome once the workers have stopped: `proved` only if nothing else was recorded.
    func result() -> (BranchAndBound.Outcome, BranchAndBound.Statistics) {
        condition.lock()
        defer { condition.unlock() }
        if let outcome { return (outcome, statistics) }
        if unresolved || !heap.isEmpty || inFlight != 0 {
            return (.unresolved("boxes too narrow to split remain open"), statistics)
        }
        return (.proved, statistics)
    }
}
