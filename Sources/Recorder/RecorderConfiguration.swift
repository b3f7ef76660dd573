/// How the recorder batches: at most `batchSize` events per transaction, waiting at most
/// `maxWait` for a batch to fill once its first event arrived.
public struct RecorderConfiguration: Sendable {
    public var batchSize: Int
    public var maxWait: Duration
    /// Unacked deliveries the broker may hand out; by default one batch per writer plus one
    /// filling, so a writer never waits for the broker.
    public var prefetch: Int?
    /// Pause before writing a batch again after the database failed.
    public var retryDelay: Duration

    public init(batchSize: Int = 500, maxWait: Duration = .milliseconds(50), prefetch: Int? = nil,
                retryDelay: Duration = .seconds(1)) {
        self.batchSize = max(1, batchSize)
        self.maxWait = maxWait
        self.prefetch = prefetch
        self.retryDelay = retryDelay
    }

    /// The prefetch for `writers` concurrent writers.
    func prefetch(writers: Int) -> Int {
        prefetch ?? min(65_535, max(100, batchSize * (writers + 1)))
    }
}
