import Messaging

/// How the recorder batches: at most `batchSize` events per transaction. A batch is cut when a
/// writer is free, waiting at most `maxWait` for it to fill once its first event arrived. The
/// default, zero, writes what has arrived at once (group commit: under load the batches fill
/// while the writers are busy, and a lone `finished` is not held back from the dispatcher).
public struct RecorderConfiguration: Sendable {
    public var batchSize: Int
    public var maxWait: Duration
    /// Unacked deliveries the broker may hand out; by default one batch per writer plus one
    /// filling, so a writer never waits for the broker.
    public var prefetch: Int?
    /// Pause before writing a batch again after the database failed.
    public var retryDelay: Duration
    /// How far a worker's clock may be off (the fleet's `recovery.clock_skew`): an event or
    /// heartbeat dated further ahead of the recorder's clock, or an event dated further before its
    /// task was created, is rejected.
    public var clockSkew: Duration
    /// Checks that events, heartbeats and ticks carry a valid tag of the events key.
    public var signing: MessageSigning

    public init(batchSize: Int = 500, maxWait: Duration = .zero, prefetch: Int? = nil,
                retryDelay: Duration = .seconds(1), clockSkew: Duration = .seconds(30), signing: MessageSigning = .unsigned) {
        self.signing = signing
        self.batchSize = max(1, batchSize)
        self.maxWait = maxWait
        self.prefetch = prefetch
        self.retryDelay = retryDelay
        self.clockSkew = clockSkew
    }

    /// The prefetch for `writers` concurrent writers.
    func prefetch(writers: Int) -> Int {
        prefetch ?? min(65_535, max(100, batchSize * (writers + 1)))
    }
}
