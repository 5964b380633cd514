import Foundation

/// Runs `body(0..<count)` on `count` threads at once and waits for all of them: the current
/// thread takes index 0, a new thread each of the others.
///
/// Not `DispatchQueue.concurrentPerform`: called from inside one (a branch-and-bound worker,
/// while the other workers wait for work), libdispatch runs the nested iterations one after
/// the other on the calling thread, and the root's refinement had one core of two (user time
/// equal to wall time).
public func runOnThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    guard count > 1 else {
        if count == 1 { body(0) }
        return
    }
    let done = DispatchGroup()
    for i in 1..<count {
        done.enter()
        let thread = Thread {
            body(i)
            done.leave()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
    body(0)
    done.wait()
}

/// `items` in at most `count` contiguous parts of nearly equal size, in order (none when empty):
/// the work of ``runOnThreads(_:_:)``'s threads.
public func contiguousParts<T>(_ items: [T], count: Int) -> [[T]] {
    let size = max(1, (items.count + max(1, count) - 1) / max(1, count))
    return stride(from: 0, to: items.count, by: size).map { Array(items[$0..<min($0 + size, items.count)]) }
}

/// One result per part of a ``runOnThreads(_:_:)`` step (each index written by one thread).
public final class PartResults<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Value?]

    public init(count: Int) {
        values = [Value?](repeating: nil, count: count)
    }

    public func set(_ k: Int, _ value: Value) {
        lock.withLock { values[k] = value }
    }

    public func get(_ k: Int) -> Value {
        lock.withLock { values[k]! }
    }
}
