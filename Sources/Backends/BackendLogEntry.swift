/// One line of a job's log, where the platform keeps logs (openEO, EOCanvas).
public struct BackendLogEntry: Sendable, Hashable, Codable {
    /// The platform's entry id, if any.
    public var id: String?
    /// `error`, `warning`, `info` or `debug` when the platform says.
    public var level: String?
    /// The text.
    public var message: String
    /// The time stamp as sent (RFC 3339).
    public var time: String?

    public init(id: String? = nil, level: String? = nil, message: String, time: String? = nil) {
        self.id = id
        self.level = level
        self.message = message
        self.time = time
    }
}
