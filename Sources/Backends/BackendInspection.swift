import FleetModel

/// What a backend answers before any job runs: whether its URL is the API root, the account, and
/// what a service declares. `submit` and `try` check a task against it (preflight) and `tilefleet
/// check` checks each backend with it.
public protocol BackendInspection: Backend {
    /// Whether the configured URL is the platform's API root; a wrong one comes with the corrected URL
    /// where the server tells it.
    func checkRoot() async -> APIRootCheck

    /// The account as the platform reports it (openEO `GET /me`): proves the credentials; nil where
    /// the platform has no such call.
    func account() async throws -> BackendAccount?

    /// The parameters the service of `process` declares; nil when the platform cannot tell (then
    /// nothing is checked). Throws ``BackendError/notFound(message:)`` for a service that does not exist.
    func describe(_ process: BackendJob.Process) async throws -> ServiceDescription?

    /// The request ``Backend/submit(_:idempotencyKey:)`` sends first for `job`: what `--dry-run` prints.
    func submitRequest(for job: BackendJob, idempotencyKey: String) throws -> SubmitRequest
}

/// The outcome of ``BackendInspection/checkRoot()``.
public enum APIRootCheck: Sendable, Hashable {
    /// The URL is an API root; `summary` says of what (`openEO 1.2.0, Dummy openEO Backend`).
    case ok(summary: String)
    /// It is not; `problem` says what was found, `suggestedURL` is the root to configure instead.
    case wrong(problem: String, suggestedURL: String?)
}

/// The account of ``BackendInspection/account()``.
public struct BackendAccount: Sendable, Hashable {
    public var user: String
    /// What the platform says of limits and money: `budget 100 EUR`, `default plan free`.
    public var details: [String]

    public init(user: String, details: [String] = []) {
        self.user = user
        self.details = details
    }
}

/// A request as it will be sent: method, URL and JSON body.
public struct SubmitRequest: Sendable, Hashable {
    public var method: String
    public var url: String
    public var body: JSONValue

    public init(method: String, url: String, body: JSONValue) {
        self.method = method
        self.url = url
        self.body = body
    }
}
