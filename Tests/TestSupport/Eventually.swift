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
