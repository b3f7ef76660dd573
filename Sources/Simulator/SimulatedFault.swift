/// A fault the simulator injects into one matching request: scripted by tests through
/// ``PlatformSimulator/inject(_:)`` or `POST /_simulator/faults`, or drawn at the configured rates.
public struct SimulatedFault: Sendable, Codable, Equatable {
    /// What goes wrong.
    public enum Kind: String, Sendable, Codable {
        /// Answer `status` without handling the request.
        case status
        /// Answer 429 with `Retry-After: retryAfter` without handling the request.
        case throttle
        /// Close the connection without handling the request.
        case resetBefore = "reset_before"
        /// Handle the request (e.g. create the job), then close the connection: a lost answer.
        case resetAfter = "reset_after"
        /// Handle the request, then send a truncated JSON body.
        case malformed
        /// Handle the request, then answer `milliseconds` later.
        case slow
    }

    public var kind: Kind
    /// Only requests with this method (any when `nil`).
    public var method: String?
    /// Only requests whose path ends with this (any when `nil`).
    public var pathSuffix: String?
    /// For ``Kind/status``.
    public var status: Int?
    /// For ``Kind/throttle``, seconds.
    public var retryAfter: Int?
    /// For ``Kind/slow``.
    public var milliseconds: Int?
    /// How many matching requests get it.
    public var count: Int

    public init(_ kind: Kind, method: String? = nil, pathSuffix: String? = nil, status: Int? = nil, retryAfter: Int? = nil, milliseconds: Int? = nil, count: Int = 1) {
        self.kind = kind
        self.method = method
        self.pathSuffix = pathSuffix
        self.status = status
        self.retryAfter = retryAfter
        self.milliseconds = milliseconds
        self.count = count
    }

    func matches(method: String, path: String) -> Bool {
        (self.method == nil || self.method?.uppercased() == method) && (self.pathSuffix == nil || path.hasSuffix(self.pathSuffix!))
    }

    enum CodingKeys: String, CodingKey {
        case kind = "fault", method, pathSuffix = "path_suffix", status, retryAfter = "retry_after", milliseconds, count
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.kind = try container.decode(Kind.self, forKey: .kind)
        self.method = try container.decodeIfPresent(String.self, forKey: .method)
        self.pathSuffix = try container.decodeIfPresent(String.self, forKey: .pathSuffix)
        self.status = try container.decodeIfPresent(Int.self, forKey: .status)
        self.retryAfter = try container.decodeIfPresent(Int.self, forKey: .retryAfter)
        self.milliseconds = try container.decodeIfPresent(Int.self, forKey: .milliseconds)
        self.count = try container.decodeIfPresent(Int.self, forKey: .count) ?? 1
    }
}
