import Foundation

/// Waiting on a condition instead of sleeping a fixed time: the tests' one way to wait for
/// something that happens in another process, on the broker or in the database.

/// Checks `condition` every `every` until it holds or `timeout` passes; returns whether it held.
/// The timeout only bounds a test that would otherwise hang: a passing test returns as soon as
/// the condition holds.
@discardableResult
public func eventually(timeout: Duration = .seconds(30), every: Duration = .milliseconds(50),
                       _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try await Task.sleep(for: every)
    }
}

/// Collects what `transform` makes of the elements of `sequence` until `done` says the collection
/// is complete, the sequence ends, or `timeout` passes; returns what was collected by then.
public func collect<Sequence: AsyncSequence & Sendable, Element: Sendable>(
    _ sequence: Sequence, timeout: Duration,
    transform: @escaping @Sendable (Sequence.Element) async -> Element?,
    until done: @escaping @Sendable ([Element]) -> Bool
) async -> [Element] where Sequence.Element: Sendable {
    let deadline = ContinuousClock.now + timeout
    return await withTaskGroup(of: [Element]?.self) { group in
        group.addTask {
            var collected: [Element] = []
            do {
                for try await element in sequence {
                    if let value = await transform(element) { collected.append(value) }
                    if done(collected) { break }
                }
            } catch {}
            return collected
        }
        group.addTask {
            try? await Task.sleep(until: deadline)
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        if let first { return first }
        // The deadline came first: the collecting task returns what it has once cancelled.
        return await group.next().flatMap { $0 } ?? []
    }
}

/// Raised by ``within(_:_:_:)`` when the operation did not finish in time.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    public let what: String
    public let timeout: Duration
    public var description: String { "\(what) did not finish within \(timeout)" }
}

/// Runs `operation` and returns its result, or throws ``DeadlineExceeded`` once `timeout` passes.
/// Unlike a time limit on the test, which cancels and then waits, this stops waiting: an
/// operation that ignores cancellation (a hung await) fails the test instead of hanging the
/// whole run. The abandoned operation is cancelled and left to finish on its own.
public func within<T: Sendable>(_ timeout: Duration, _ what: String,
                                _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    let outcome = FirstOutcome<T>()
    return try await withCheckedThrowingContinuation { continuation in
        outcome.install(continuation)
        let work = Task {
            do { outcome.settle(.success(try await operation())) } catch { outcome.settle(.failure(error)) }
        }
        Task {
            try? await Task.sleep(for: timeout)
            if outcome.settle(.failure(DeadlineExceeded(what: what, timeout: timeout))) { work.cancel() }
        }
    }
}

/// Resumes a continuation with whichever outcome comes first.
private final class FirstOutcome<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, any Error>?

    /// Set before either outcome can arrive.
    func install(_ continuation: CheckedContinuation<T, any Error>) {
        lock.withLock { self.continuation = continuation }
    }

    /// Returns whether this outcome was the first.
    @discardableResult
    func settle(_ result: Result<T, any Error>) -> Bool {
        guard let continuation = lock.withLock({ () -> CheckedContinuation<T, any Error>? in
            defer { self.continuation = nil }
            return self.continuation
        }) else { return false }
        continuation.resume(with: result)
        return true
    }
}
