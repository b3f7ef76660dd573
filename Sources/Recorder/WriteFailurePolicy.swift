import Storage

/// What the recorder does when writing a batch fails: a pure decision, so every rule is tested
/// without a database.
///
/// The order matters: a broken connection says nothing about the events, so the batch waits for
/// the database and stays unacked; a lost race (deadlock, serialization failure) is rerun at
/// once because the merges commute; any other refusal is narrowed down by writing the events one
/// by one, so one bad event cannot hold back the rest; a single event the database still refuses
/// is rejected (kept in `rejected_events` and dead-lettered).
enum WriteFailurePolicy {
    /// How a failed write failed, as far as the policy cares.
    enum Failure: Equatable, Sendable {
        case connectionProblem
        case conflict
        case refused
    }

    enum Action: Equatable, Sendable {
        /// Keep the batch unacked, wait `RecorderConfiguration.retryDelay`, write it again.
        case waitAndRetry
        /// Write the same batch again at once.
        case rerun
        /// Write each event on its own.
        case split
        /// Store the one event as rejected and dead-letter it.
        case reject
    }

    static func failure(of error: StorageError) -> Failure {
        if error.isConnectionProblem { return .connectionProblem }
        if error.isConflict { return .conflict }
        return .refused
    }

    static func decide(_ failure: Failure, batchCount: Int) -> Action {
        switch failure {
        case .connectionProblem: .waitAndRetry
        case .conflict: .rerun
        case .refused: batchCount > 1 ? .split : .reject
        }
    }
}
