import FleetConfig
import Foundation
import HTTP
import Logging

/// The HTTP edge every adapter shares: authorization, retries by ``RequestRetryPolicy``, one re-authorization
/// after a 401, and the mapping of a final failure to ``BackendError`` with the platform's message.
public struct BackendTransport: Sendable {
    /// Sleeps between attempts; tests pass one that does not wait.
    public typealias Sleep = @Sendable (Duration) async throws -> Void

    public let client: HTTPClient
    public let policy: RequestRetryPolicy
    public let authenticator: (any BackendAuthenticator)?
    public let logger: Logger
    /// Limit on one exchange, for requests that set none; `nil`: the client's default.
    public let requestTimeout: Duration?
    let sleep: Sleep

    public init(
        client: HTTPClient,
        policy: RequestRetryPolicy = RequestRetryPolicy(),
        authenticator: (any BackendAuthenticator)? = nil,
        logger: Logger = Logger(label: "tilefleet.backend"),
        requestTimeout: Duration? = nil,
        sleep: @escaping Sleep = { try await Task.sleep(for: $0) }
    ) {
        self.client = client
        self.policy = policy
        self.authenticator = authenticator
        self.logger = logger
        self.requestTimeout = requestTimeout
        self.sleep = sleep
    }

    /// What a creating request ended in.
    enum CreateOutcome {
        /// The server's 2xx answer.
        case created(HTTPClient.Response)
        /// The request's fate was unknown and the lookup found this job.
        case found(String)
    }

    /// Sends an idempotent request (GET, DELETE, a token request), retrying transient failures;
    /// returns a 2xx response (or one whose status is in `accept`), throws ``BackendError`` otherwise.
    /// `retryThrottled: false` turns a 429 into ``BackendError/tryLater(retryAfter:message:jobID:)`` at
    /// once (a concurrency limit is for the caller to wait out, not this call).
    func send(
        _ request: HTTPClient.Request,
        authorize: Bool = true,
        accept: Set<Int> = [],
        retryThrottled: Bool = true
    ) async throws -> HTTPClient.Response {
        switch try await self.exchange(request, idempotent: true, authorize: authorize, accept: accept, retryThrottled: retryThrottled, find: nil) {
        case .created(let response): return response
        case .found: throw BackendError.invalidResponse(message: "unexpected lookup for an idempotent request")
        }
    }

    /// Sends a request that creates a job. It is resent only when it provably never reached the server,
    /// after a 429, or after `find` shows that nothing was created.
    func create(_ request: HTTPClient.Request, find: @escaping @Sendable () async throws -> String?) async throws -> CreateOutcome {
        try await self.exchange(request, idempotent: false, authorize: true, accept: [], retryThrottled: true, find: find)
    }

    private func exchange(
        _ request: HTTPClient.Request,
        idempotent: Bool,
        authorize: Bool,
        accept: Set<Int>,
        retryThrottled: Bool,
        find: (@Sendable () async throws -> String?)?
    ) async throws -> CreateOutcome {
        var attempt = 0
        var reauthorized = false
        while true {
            attempt += 1
            var outgoing = request
            if outgoing.timeout == nil {
                outgoing.timeout = self.requestTimeout
            }
            var authorization: Secret?
            if authorize, let authenticator = self.authenticator {
                authorization = try await authenticator.authorization()
                if let authorization {
                    outgoing.headers.replaceOrAdd(name: "Authorization", value: authorization.value)
                }
            }
            let attemptResult: Result<HTTPClient.Response, HTTPClientError>
            do {
                attemptResult = .success(try await self.client.execute(outgoing))
            } catch let error as HTTPClientError {
                attemptResult = .failure(error)
            }
            let decision: RequestRetryPolicy.Decision
            var finalResponse: HTTPClient.Response?
            switch attemptResult {
            case .success(let response):
                if response.isSuccess || accept.contains(response.status) {
                    return .created(response)
                }
                let message = PlatformMessage.extract(from: response.body, status: response.status)
                if Self.refusesAuthorization(response, message: message), !reauthorized, let authenticator = self.authenticator, let authorization,
                    await authenticator.invalidate(authorization)
                {
                    // A refused authorization means the request was never executed: resending is safe.
                    reauthorized = true
                    attempt -= 1
                    self.logger.debug("re-authorizing after \(response.status)", metadata: ["url": "\(request.url)"])
                    continue
                }
                finalResponse = response
                decision = self.policy.decide(attempt: attempt, idempotent: idempotent, outcome: RequestRetryPolicy.outcome(of: response, message: message))
                if case .giveUp = decision {
                    throw Self.error(for: response, message: message, call: Self.call(request))
                }
                if response.status == 429, !retryThrottled {
                    throw Self.error(for: response, message: message, call: Self.call(request))
                }
            case .failure(let error):
                decision = self.policy.decide(attempt: attempt, idempotent: idempotent, outcome: RequestRetryPolicy.outcome(of: error))
                if case .giveUp(let reason) = decision {
                    if !idempotent, !error.requestWasNotSent, let find, let id = try await Self.verify(find) {
                        return .found(id)
                    }
                    throw BackendError.transport(message: "\(Self.call(request)): \(reason)")
                }
            }
            switch decision {
            case .retry(let delay):
                self.logger.debug(
                    "retrying",
                    metadata: ["url": "\(request.url)", "attempt": "\(attempt)", "status": "\(finalResponse?.status ?? 0)", "delay": "\(delay)"]
                )
                try await self.sleep(delay)
            case .verifyThenRetry(let delay):
                if let find, let id = try await Self.verify(find) {
                    self.logger.info("found the job of an unanswered submit", metadata: ["job": "\(id)"])
                    return .found(id)
                }
                try await self.sleep(delay)
            case .giveUp(let reason):
                throw BackendError.transport(message: "\(Self.call(request)): \(reason)")
            }
        }
    }

    /// Runs a lookup after a submit of unknown fate; a platform that cannot look jobs up makes the
    /// submit ambiguous rather than risk a second job.
    private static func verify(_ find: @Sendable () async throws -> String?) async throws -> String? {
        do {
            return try await find()
        } catch BackendError.unsupported(let message) {
            throw BackendError.ambiguousSubmit(message: "the submit may have reached the platform, which cannot be searched: \(message)")
        }
    }

    /// `METHOD URL` of a request, credentials redacted: what an error names so that the reader sees
    /// which call failed (and, for a wrong API root, which URL to fix).
    static func call(_ request: HTTPClient.Request) -> String {
        request.methodAndURL
    }

    /// Whether the platform refused the credentials sent: 401, or openEO's 403 `TokenInvalid` (an
    /// expired or invalid token, as openeo-driver and the openEO API answer it).
    static func refusesAuthorization(_ response: HTTPClient.Response, message: String) -> Bool {
        response.status == 401 || (response.status == 403 && message.hasPrefix("TokenInvalid"))
    }

    /// The ``BackendError`` of a final non-success response; `call` (``call(_:)``) is appended to the
    /// platform's message.
    static func error(for response: HTTPClient.Response, message: String, call: String? = nil) -> BackendError {
        let refused = Self.refusesAuthorization(response, message: message)
        let message = call.map { "\(message) (\($0))" } ?? message
        if refused { return .authentication(message: message) }
        switch response.status {
        case 404, 410: return .notFound(message: message)
        case 429: return .tryLater(retryAfter: response.retryAfter(now: Date()), message: message, jobID: nil)
        case 400..<500 where PlatformMessage.isTryLater(message):
            return .tryLater(retryAfter: response.retryAfterHeader?.delay(from: Date()), message: message, jobID: nil)
        case 400..<500: return .rejected(status: response.status, message: message)
        case 503 where PlatformMessage.isTryLater(message):
            return .tryLater(retryAfter: response.retryAfter(now: Date()), message: message, jobID: nil)
        default: return .server(status: response.status, message: message)
        }
    }
}

extension BackendTransport {
    /// `base` + `path`, with exactly one slash between them.
    static func join(_ base: String, _ path: String) -> String {
        let trimmedBase = base.hasSuffix("/") ? String(base.dropLast()) : base
        return path.hasPrefix("/") ? trimmedBase + path : trimmedBase + "/" + path
    }

    /// Percent-encodes a job id for use as one path segment.
    static func segment(_ id: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        return id.addingPercentEncoding(withAllowedCharacters: allowed) ?? id
    }

    /// Resolves a possibly relative `Location` against the URL of the request that returned it.
    static func resolve(_ location: String, against url: String) -> String {
        if let resolved = URL(string: location, relativeTo: URL(string: url)) {
            return resolved.absoluteString
        }
        return location
    }
}
