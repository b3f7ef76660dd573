/// What one backend job runs, independent of the platform: filled by the coordinator from a task and a
/// tile, turned into a request body by each adapter.
public struct BackendJob: Sendable, Hashable, Codable {
    /// The processing to run.
    public enum Process: Sendable, Hashable, Codable {
        /// A complete openEO process graph (node id → node). ``BackendJob/arguments`` replace its
        /// `{"from_parameter": name}` references.
        case processGraph([String: JSONValue])
        /// A named process: an openEO user-defined process (`namespace` = the UDP's URL or a backend
        /// namespace such as `user`), an OGC API process id, or an EOCanvas function
        /// (`snap-function`, `dataTailor`).
        case named(id: String, namespace: String?)
        /// A program run on the worker's own host (a `command` backend): the program and its
        /// arguments, looked up in `PATH` when the program has no slash.
        case command([String])
    }

    /// The processing to run.
    public var process: Process
    /// Arguments: the tile's spatial extent, the time window, dimension values, task parameters.
    public var arguments: [String: JSONValue]
    /// A human title; the idempotency key is appended by the adapter.
    public var title: String?
    /// A description shown by the platform.
    public var description: String?
    /// openEO `job_options` (executor memory, …), OGC/EOCanvas extra execute members.
    public var options: [String: JSONValue]
    /// The output format (openEO `save_result` format, OGC output media type).
    public var outputFormat: String?
    /// OGC API – Processes callback URIs (recorded; polling stays authoritative).
    public var subscriber: Subscriber?

    /// OGC API – Processes `subscriber` callback URIs.
    public struct Subscriber: Sendable, Hashable, Codable {
        public var successUri: String?
        public var inProgressUri: String?
        public var failedUri: String?

        public init(successUri: String? = nil, inProgressUri: String? = nil, failedUri: String? = nil) {
            self.successUri = successUri
            self.inProgressUri = inProgressUri
            self.failedUri = failedUri
        }
    }

    public init(
        process: Process,
        arguments: [String: JSONValue] = [:],
        title: String? = nil,
        description: String? = nil,
        options: [String: JSONValue] = [:],
        outputFormat: String? = nil,
        subscriber: Subscriber? = nil
    ) {
        self.process = process
        self.arguments = arguments
        self.title = title
        self.description = description
        self.options = options
        self.outputFormat = outputFormat
        self.subscriber = subscriber
    }

    /// The title a job gets on the platform: the human title followed by `[tilefleet:<key>]`, the
    /// marker ``Backend/find(idempotencyKey:)`` looks for after a redelivery.
    public func platformTitle(idempotencyKey: String) -> String {
        let marker = Self.marker(for: idempotencyKey)
        guard let title, !title.isEmpty else { return marker }
        return "\(title) \(marker)"
    }

    /// `[tilefleet:<key>]`.
    public static func marker(for idempotencyKey: String) -> String {
        "[tilefleet:\(idempotencyKey)]"
    }
}
