/// How the recorder batches: at most `batchSize` events, waiting at most `maxWait` for a batch to
/// fill once its first event arrived.
public struct RecorderConfiguration: Sendable {
    public var batchSize: Int
    public var maxWait: Duration
    /// Unacked deliveries the broker may hand out; at least two batches so the next one fills
    /// while the current one is written.
    public var prefetch: Int
    /// Pause before writing a batch again after the database failed.
    public var retryDelay: Duration

    public init(batchSize: Int = 500, maxWait: Duration = .milliseconds(50), prefetch: Int? = nil,
                retryDelay: Duration = .seconds(1)) {
        self.batchSize = max(1, batchSize)
        self.maxWait = maxWait
        self.prefetch = prefetch ?? min(65_535, max(100, self.batchSize * 2))
        self.retryDelay = retryDelay
    }
}
