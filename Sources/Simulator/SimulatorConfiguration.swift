import Foundation

/// How the simulated platforms behave: job durations, failures, limits, auth and injected faults.
/// Decodable from YAML or JSON (`snake_case` keys) for `tilefleet simulate --config`.
public struct SimulatorConfiguration: Sendable, Codable, Equatable {
    /// The distribution of job run times.
    public struct DurationDistribution: Sendable, Codable, Equatable {
        /// `fixed` (always `seconds`), `uniform` (`min`…`max`) or `lognormal` (`median`, `sigma`).
        public var distribution: String
        public var seconds: Double?
        public var min: Double?
        public var max: Double?
        public var median: Double?
        public var sigma: Double?

        public init(distribution: String = "fixed", seconds: Double? = 2, min: Double? = nil, max: Double? = nil, median: Double? = nil, sigma: Double? = nil) {
            self.distribution = distribution
            self.seconds = seconds
            self.min = min
            self.max = max
            self.median = median
            self.sigma = sigma
        }

        /// A fixed duration.
        public static func fixed(_ seconds: Double) -> DurationDistribution {
            DurationDistribution(distribution: "fixed", seconds: seconds)
        }

        /// Draws one duration in seconds from `unit` (0..<1) and `normal` (a standard normal draw).
        func sample(unit: Double, normal: Double) -> Double {
            switch self.distribution {
            case "uniform":
                let low = self.min ?? 0
                return low + (Swift.max(low, self.max ?? low) - low) * unit
            case "lognormal":
                return (self.median ?? 1) * Foundation.exp((self.sigma ?? 0.5) * normal)
            default:
                return self.seconds ?? 1
            }
        }
    }

    /// Random faults, each a probability per API request (0…1).
    public struct Faults: Sendable, Codable, Equatable {
        /// Answer 500/502/503/504 instead of handling the request.
        public var serverError: Double
        /// Answer 429 with `Retry-After: throttleRetryAfter`.
        public var throttle: Double
        public var throttleRetryAfter: Int
        /// Handle the request, then answer after `slowMilliseconds` more.
        public var slow: Double
        public var slowMilliseconds: Int
        /// Handle the request, then send a truncated JSON body.
        public var malformedJSON: Double
        /// Handle the request, then close the connection without a complete answer.
        public var reset: Double

        public init(serverError: Double = 0, throttle: Double = 0, throttleRetryAfter: Int = 1, slow: Double = 0, slowMilliseconds: Int = 2000, malformedJSON: Double = 0, reset: Double = 0) {
            self.serverError = serverError
            self.throttle = throttle
            self.throttleRetryAfter = throttleRetryAfter
            self.slow = slow
            self.slowMilliseconds = slowMilliseconds
            self.malformedJSON = malformedJSON
            self.reset = reset
        }

        var isEmpty: Bool {
            self.serverError == 0 && self.throttle == 0 && self.slow == 0 && self.malformedJSON == 0 && self.reset == 0
        }
    }

    /// What simulated openEO jobs cost: `per_second` of run time plus `per_km2` of their area,
    /// times a lognormal noise of `noise` (sigma) drawn per job.
    public struct CostRates: Sendable, Codable, Equatable {
        public var perSecond: Double
        public var perKm2: Double
        public var noise: Double

        public init(perSecond: Double = 0.5, perKm2: Double = 0.01, noise: Double = 0.1) {
            self.perSecond = perSecond
            self.perKm2 = perKm2
            self.noise = noise
        }

        enum CodingKeys: String, CodingKey {
            case perSecond = "per_second", perKm2 = "per_km2", noise
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let defaults = CostRates()
            self.init(perSecond: try container.decodeIfPresent(Double.self, forKey: .perSecond) ?? defaults.perSecond,
                      perKm2: try container.decodeIfPresent(Double.self, forKey: .perKm2) ?? defaults.perKm2,
                      noise: try container.decodeIfPresent(Double.self, forKey: .noise) ?? defaults.noise)
        }
    }

    /// Run times of jobs.
    public var duration: DurationDistribution
    /// Time a started job spends `queued` (openEO) / `accepted` (OGC) before it runs, in seconds.
    public var queueSeconds: Double
    /// Simulated seconds per real second: run and queue times (``duration``, ``queueSeconds``)
    /// pass this many times faster, so hour-long jobs can be benchmarked in a minute. 1: real time.
    public var clockScale: Double = 1
    /// Probability that a job ends in `error` / `failed`.
    public var failureRate: Double
    /// Jobs one user may have queued or running at once; a start beyond it is answered 429
    /// `ConcurrentJobLimit`. `nil`: unlimited.
    public var concurrencyLimit: Int?
    /// User name → password for HTTP basic (openEO `GET /credentials/basic`, OGC basic).
    public var users: [String: String]
    /// Static bearer token → user name.
    public var bearerTokens: [String: String]
    /// OIDC client id → client secret for the simulated provider's `client_credentials` grant.
    public var oidcClients: [String: String]
    /// Lifetime of issued access tokens, seconds.
    public var tokenLifetime: Double
    /// Whether requests without valid credentials get 401 (the credential endpoints excepted).
    public var requireAuth: Bool
    /// Size of each downloadable result asset, bytes.
    public var assetSize: Int
    /// OGC: answer `Prefer: respond-async` executions synchronously (200 + outputs), as some servers do.
    public var ogcIgnorePrefer: Bool
    /// OGC: the body of a 201 execution answer: `statusInfo`, `null` or `empty` (`{}`).
    public var ogcCreatedBody: String
    /// A hostile platform: results also link a `file:` and a `javascript:` asset and one whose name
    /// tries to leave the download directory (`..%2F..%2F`).
    public var hostileAssets: Bool
    /// Random faults.
    public var faults: Faults
    /// Seed of the simulator's random numbers (durations, failures, faults); `nil`: random.
    public var seed: UInt64?
    /// What openEO jobs cost (`costs` and `usage` on `GET /jobs/{id}`).
    public var costs: CostRates = CostRates()
    /// Public OIDC clients that may use the device authorization grant (RFC 8628, PKCE S256
    /// required); the first is offered as the provider's default client in `GET /credentials/oidc`.
    public var deviceClients: [String] = ["tilefleet-public"]
    /// Whether `GET /credentials/oidc` lists the simulated provider (false: a backend without OIDC).
    public var offerOIDC: Bool = true
    /// Whether a refresh grant rotates the refresh token: it answers a new one and revokes the one used.
    public var rotateRefreshTokens: Bool = false
    /// Each user's credits before any job: `GET /me` reports them less what the user's jobs cost
    /// so far as `budget`; `nil`: no budget reported.
    public var budget: Double? = 10_000

    public init(
        duration: DurationDistribution = .fixed(2),
        queueSeconds: Double = 0,
        failureRate: Double = 0,
        concurrencyLimit: Int? = nil,
        users: [String: String] = ["tilefleet": "tilefleet"],
        bearerTokens: [String: String] = [:],
        oidcClients: [String: String] = ["tilefleet-client": "tilefleet-secret"],
        tokenLifetime: Double = 3600,
        requireAuth: Bool = true,
        assetSize: Int = 4096,
        ogcIgnorePrefer: Bool = false,
        ogcCreatedBody: String = "statusInfo",
        hostileAssets: Bool = false,
        faults: Faults = Faults(),
        seed: UInt64? = nil
    ) {
        self.duration = duration
        self.queueSeconds = queueSeconds
        self.failureRate = failureRate
        self.concurrencyLimit = concurrencyLimit
        self.users = users
        self.bearerTokens = bearerTokens
        self.oidcClients = oidcClients
        self.tokenLifetime = tokenLifetime
        self.requireAuth = requireAuth
        self.assetSize = assetSize
        self.ogcIgnorePrefer = ogcIgnorePrefer
        self.ogcCreatedBody = ogcCreatedBody
        self.hostileAssets = hostileAssets
        self.faults = faults
        self.seed = seed
    }
}

extension SimulatorConfiguration {
    enum CodingKeys: String, CodingKey {
        case duration, queueSeconds = "queue_seconds", clockScale = "clock_scale", failureRate = "failure_rate", concurrencyLimit = "concurrency_limit"
        case users, bearerTokens = "bearer_tokens", oidcClients = "oidc_clients", tokenLifetime = "token_lifetime"
        case requireAuth = "require_auth", assetSize = "asset_size", ogcIgnorePrefer = "ogc_ignore_prefer"
        case ogcCreatedBody = "ogc_created_body", hostileAssets = "hostile_assets", faults, seed, costs, budget
        case deviceClients = "device_clients", rotateRefreshTokens = "rotate_refresh_tokens", offerOIDC = "offer_oidc"
    }

    public init(from decoder: any Decoder) throws {
        let defaults = SimulatorConfiguration()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.duration = try container.decodeIfPresent(DurationDistribution.self, forKey: .duration) ?? defaults.duration
        self.queueSeconds = try container.decodeIfPresent(Double.self, forKey: .queueSeconds) ?? defaults.queueSeconds
        self.clockScale = try container.decodeIfPresent(Double.self, forKey: .clockScale) ?? defaults.clockScale
        guard self.clockScale.isFinite, self.clockScale > 0 else {
            throw DecodingError.dataCorruptedError(forKey: .clockScale, in: container, debugDescription: "clock_scale must be a number above 0")
        }
        self.failureRate = try container.decodeIfPresent(Double.self, forKey: .failureRate) ?? defaults.failureRate
        self.concurrencyLimit = try container.decodeIfPresent(Int.self, forKey: .concurrencyLimit)
        self.users = try container.decodeIfPresent([String: String].self, forKey: .users) ?? defaults.users
        self.bearerTokens = try container.decodeIfPresent([String: String].self, forKey: .bearerTokens) ?? defaults.bearerTokens
        self.oidcClients = try container.decodeIfPresent([String: String].self, forKey: .oidcClients) ?? defaults.oidcClients
        self.tokenLifetime = try container.decodeIfPresent(Double.self, forKey: .tokenLifetime) ?? defaults.tokenLifetime
        self.requireAuth = try container.decodeIfPresent(Bool.self, forKey: .requireAuth) ?? defaults.requireAuth
        self.assetSize = try container.decodeIfPresent(Int.self, forKey: .assetSize) ?? defaults.assetSize
        self.ogcIgnorePrefer = try container.decodeIfPresent(Bool.self, forKey: .ogcIgnorePrefer) ?? defaults.ogcIgnorePrefer
        self.ogcCreatedBody = try container.decodeIfPresent(String.self, forKey: .ogcCreatedBody) ?? defaults.ogcCreatedBody
        self.hostileAssets = try container.decodeIfPresent(Bool.self, forKey: .hostileAssets) ?? defaults.hostileAssets
        self.faults = try container.decodeIfPresent(Faults.self, forKey: .faults) ?? defaults.faults
        self.seed = try container.decodeIfPresent(UInt64.self, forKey: .seed)
        self.costs = try container.decodeIfPresent(CostRates.self, forKey: .costs) ?? defaults.costs
        self.budget = container.contains(.budget) ? try container.decodeIfPresent(Double.self, forKey: .budget) : defaults.budget
        self.deviceClients = try container.decodeIfPresent([String].self, forKey: .deviceClients) ?? defaults.deviceClients
        self.rotateRefreshTokens = try container.decodeIfPresent(Bool.self, forKey: .rotateRefreshTokens) ?? defaults.rotateRefreshTokens
        self.offerOIDC = try container.decodeIfPresent(Bool.self, forKey: .offerOIDC) ?? defaults.offerOIDC
    }
}

extension SimulatorConfiguration.Faults {
    enum CodingKeys: String, CodingKey {
        case serverError = "server_error", throttle, throttleRetryAfter = "throttle_retry_after", slow
        case slowMilliseconds = "slow_ms", malformedJSON = "malformed_json", reset
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            serverError: try container.decodeIfPresent(Double.self, forKey: .serverError) ?? 0,
            throttle: try container.decodeIfPresent(Double.self, forKey: .throttle) ?? 0,
            throttleRetryAfter: try container.decodeIfPresent(Int.self, forKey: .throttleRetryAfter) ?? 1,
            slow: try container.decodeIfPresent(Double.self, forKey: .slow) ?? 0,
            slowMilliseconds: try container.decodeIfPresent(Int.self, forKey: .slowMilliseconds) ?? 2000,
            malformedJSON: try container.decodeIfPresent(Double.self, forKey: .malformedJSON) ?? 0,
            reset: try container.decodeIfPresent(Double.self, forKey: .reset) ?? 0
        )
    }
}
