import Backends

/// Shares one lookup among every handler waiting for one on a backend: where a lookup lists the
/// account's jobs (openEO), fifty redelivered submits cost one or two listings instead of fifty.
/// A lookup asked while a listing runs waits for the next one, which starts after it was asked,
/// so it sees every job created before the ask.
actor LookupBatcher {
    private let backend: any Backend
    private var waiting: [String: [CheckedContinuation<Result<String?, any Error>, Never>]] = [:]
    private var listing = false

    init(backend: any Backend) {
        self.backend = backend
    }

    /// The job carrying `idempotencyKey`, if any.
    func find(idempotencyKey: String) async throws -> String? {
        let result = await withCheckedContinuation { continuation in
            waiting[idempotencyKey, default: []].append(continuation)
            if !listing { startRound() }
        }
        return try result.get()
    }

    private func startRound() {
        listing = true
        let round = waiting
        waiting = [:]
        Task {
            let result: Result<[String: String], any Error>
            do {
                result = .success(try await backend.find(idempotencyKeys: Set(round.keys)))
            } catch {
                result = .failure(error)
            }
            finish(round, with: result)
        }
    }

    private func finish(_ round: [String: [CheckedContinuation<Result<String?, any Error>, Never>]],
                        with result: Result<[String: String], any Error>) {
        for (key, continuations) in round {
            let answer = result.map { $0[key] }
            for continuation in continuations { continuation.resume(returning: answer) }
        }
        listing = false
        if !waiting.isEmpty { startRound() }
    }
}
