import FleetModel
import Foundation

/// The simulator's memory: jobs, tokens, counters and scripted faults, behind one lock.
final class SimulatorStore: @unchecked Sendable {
    private let lock = NSLock()
    let configuration: SimulatorConfiguration
    /// The OGC processes deployed through Part 2 (a lock of their own).
    let deployed = DeployedProcesses()
    /// The OGC jobs' subscriber callbacks (a lock of their own).
    let subscriberCalls = SubscriberCalls()
    private var jobs: [String: SimulatedJob] = [:]
    private var jobsByUser: [String: [String]] = [:]
    private var activeByUser: [String: Set<String>] = [:]
    private var peakByUser: [String: Int] = [:]
    private var createdByKey: [String: Int] = [:]
    private var tokens: [String: (user: String, expires: Date)] = [:]
    private var refreshTokens: [String: String] = [:]
    private var deviceGrants: [String: DeviceGrant] = [:]
    private var deviceCodeByUserCode: [String: String] = [:]
    private var scripted: [SimulatedFault] = []
    /// Stored openEO user-defined processes (`PUT /process_graphs/{id}`), as JSON text, by user and id.
    private var processGraphs: [String: [String: Data]] = [:]
    private var random: SplitMix64
    private var nextID = 0
    private(set) var counters = Counters()

    struct Counters: Sendable {
        var requests = 0
        var statusRequests = 0
        var jobsCreated = 0
        var jobsStarted = 0
        var limitRejections = 0
        var faultsInjected = 0
        var authFailures = 0
    }

    init(configuration: SimulatorConfiguration) {
        self.configuration = configuration
        self.random = SplitMix64(seed: configuration.seed ?? UInt64.random(in: 1...UInt64.max))
    }

    /// Stores (or replaces) a user's UDP.
    func storeProcessGraph(_ json: Data, id: String, user: String) {
        self.withLock { self.processGraphs[user, default: [:]][id] = json }
    }

    /// A user's stored UDP, as JSON text.
    func processGraph(_ id: String, user: String) -> Data? {
        self.withLock { self.processGraphs[user]?[id] }
    }

    private func withLock<T>(_ body: () throws -> T) rethrows -> T {
        self.lock.lock()
        defer { self.lock.unlock() }
        return try body()
    }

    // MARK: jobs

    func createJob(api: SimulatedJob.API, user: String, title: String?, processID: String, areaKm2: Double? = nil,
                   now: Date = Date()) -> SimulatedJob {
        self.withLock {
            self.nextID += 1
            let unit = self.random.nextUnit()
            let normal = self.random.nextNormal()
            let fails = self.random.nextUnit() < self.configuration.failureRate
            let key = SimulatedJob.idempotencyKey(in: title)
            var job = SimulatedJob(
                id: "\(api == .openEO ? "j" : api.rawValue)-\(String(format: "%06d", self.nextID))-\(String(self.random.next() % 0xFFFF, radix: 16))",
                api: api,
                user: user,
                title: title,
                idempotencyKey: key,
                processID: processID,
                created: now,
                runSeconds: max(0, self.configuration.duration.sample(unit: unit, normal: normal)) / self.configuration.clockScale,
                queueSeconds: self.configuration.queueSeconds / self.configuration.clockScale,
                fails: fails
            )
            job.areaKm2 = areaKm2
            job.costFactor = Foundation.exp(self.configuration.costs.noise * self.random.nextNormal())
            self.jobs[job.id] = job
            self.jobsByUser[user, default: []].append(job.id)
            if let key {
                self.createdByKey[key, default: 0] += 1
            }
            self.counters.jobsCreated += 1
            return job
        }
    }

    enum StartOutcome {
        case started(SimulatedJob)
        case alreadyStarted(SimulatedJob)
        case limitReached(Int)
        case notFound
    }

    /// Starts a job unless its user is at the concurrency limit; records the peak of active jobs.
    func start(_ id: String, user: String, now: Date = Date()) -> StartOutcome {
        self.withLock {
            guard var job = self.jobs[id], job.user == user else { return .notFound }
            if job.started != nil || job.canceled != nil { return .alreadyStarted(job) }
            var active = self.activeByUser[user] ?? []
            active = active.filter { self.jobs[$0]?.end.map { $0 > now } ?? false }
            if let limit = self.configuration.concurrencyLimit, active.count >= limit {
                self.activeByUser[user] = active
                self.counters.limitRejections += 1
                return .limitReached(limit)
            }
            job.started = now
            self.jobs[id] = job
            active.insert(id)
            self.activeByUser[user] = active
            self.peakByUser[user] = max(self.peakByUser[user] ?? 0, active.count)
            self.counters.jobsStarted += 1
            return .started(job)
        }
    }

    func job(_ id: String, user: String) -> SimulatedJob? {
        self.withLock {
            guard let job = self.jobs[id], job.user == user else { return nil }
            return job
        }
    }

    func cancel(_ id: String, user: String, now: Date = Date()) -> SimulatedJob? {
        self.withLock {
            guard var job = self.jobs[id], job.user == user else { return nil }
            let phase = job.phase(at: now)
            if phase != .finished && phase != .failed && job.canceled == nil {
                job.canceled = now
                self.jobs[id] = job
            }
            return job
        }
    }

    /// What `user`'s jobs have cost so far, on every API.
    func spent(by user: String, now: Date = Date()) -> Double {
        self.withLock {
            (self.jobsByUser[user] ?? []).reduce(0) { $0 + (self.jobs[$1]?.costs(at: now, rates: self.configuration.costs) ?? 0) }
        }
    }

    func jobs(of user: String, api: SimulatedJob.API) -> [SimulatedJob] {
        self.withLock {
            (self.jobsByUser[user] ?? []).compactMap { self.jobs[$0] }.filter { $0.api == api }
        }
    }

    // MARK: tokens

    func issueToken(for user: String, now: Date = Date()) -> (access: String, refresh: String) {
        self.withLock {
            let access = "sim" + Self.randomToken(&self.random)
            let refresh = "ref" + Self.randomToken(&self.random)
            self.tokens[access] = (user, now.addingTimeInterval(self.configuration.tokenLifetime))
            self.refreshTokens[refresh] = user
            return (access, refresh)
        }
    }

    func user(forToken token: String, now: Date = Date()) -> String? {
        self.withLock {
            if let user = self.configuration.bearerTokens[token] { return user }
            guard let entry = self.tokens[token], entry.expires > now else { return nil }
            return entry.user
        }
    }

    func user(forRefreshToken token: String) -> String? {
        self.withLock { self.refreshTokens[token] }
    }

    /// A refresh grant: the user, with new tokens; with rotation on, the refresh token used is
    /// revoked and a new one answered (else the same one is answered again).
    func refresh(_ token: String, now: Date = Date()) -> (user: String, access: String, refresh: String)? {
        guard let user = self.user(forRefreshToken: token) else { return nil }
        let issued = self.issueToken(for: user, now: now)
        return self.withLock {
            if self.configuration.rotateRefreshTokens {
                self.refreshTokens.removeValue(forKey: token)
                return (user, issued.access, issued.refresh)
            }
            self.refreshTokens.removeValue(forKey: issued.refresh)
            return (user, issued.access, token)
        }
    }

    // MARK: device authorization (RFC 8628)

    /// A pending device authorization.
    struct DeviceGrant: Sendable {
        enum State: Sendable, Equatable { case pending, approved(user: String), denied, used }
        var userCode: String
        var clientID: String
        var challenge: String
        var expires: Date
        var interval: Double
        var lastPoll: Date?
        var state: State
    }

    /// Starts a device authorization: the device code and the user code.
    func startDeviceGrant(clientID: String, challenge: String, lifetime: Double = 600, interval: Double = 1, now: Date = Date()) -> (device: String, user: String) {
        self.withLock {
            let device = "dev" + Self.randomToken(&self.random)
            let alphabet = Array("BCDFGHJKLMNPQRSTVWXZ")
            let letters = (0..<8).map { _ in alphabet[Int(self.random.next() % UInt64(alphabet.count))] }
            let user = String(letters[0..<4]) + "-" + String(letters[4...])
            self.deviceGrants[device] = DeviceGrant(userCode: user, clientID: clientID, challenge: challenge,
                                                    expires: now.addingTimeInterval(lifetime), interval: interval, lastPoll: nil, state: .pending)
            self.deviceCodeByUserCode[user] = device
            return (device, user)
        }
    }

    /// The person's decision at the verification page; false for an unknown or used code.
    func decideDeviceGrant(userCode: String, approve: Bool, user: String) -> Bool {
        self.withLock {
            guard let device = self.deviceCodeByUserCode[userCode], var grant = self.deviceGrants[device], grant.state == .pending else { return false }
            grant.state = approve ? .approved(user: user) : .denied
            self.deviceGrants[device] = grant
            return true
        }
    }

    /// A poll of the token endpoint with a device code: the OAuth error code, or the user.
    func pollDeviceGrant(_ device: String, clientID: String, verifierChallenge: String?, now: Date = Date()) -> Result<String, DeviceGrantError> {
        self.withLock {
            guard var grant = self.deviceGrants[device], grant.clientID == clientID else { return .failure(.invalidGrant) }
            defer { self.deviceGrants[device] = grant }
            if now >= grant.expires { return .failure(.expiredToken) }
            let tooSoon = grant.lastPoll.map { now.timeIntervalSince($0) < grant.interval } ?? false
            grant.lastPoll = now
            switch grant.state {
            case .denied: return .failure(.accessDenied)
            case .used: return .failure(.invalidGrant)
            case .pending: return .failure(tooSoon ? .slowDown : .authorizationPending)
            case .approved(let user):
                guard verifierChallenge == grant.challenge else { return .failure(.invalidGrant) }
                grant.state = .used
                return .success(user)
            }
        }
    }

    enum DeviceGrantError: String, Error {
        case authorizationPending = "authorization_pending", slowDown = "slow_down", expiredToken = "expired_token"
        case accessDenied = "access_denied", invalidGrant = "invalid_grant"
    }

    /// Makes every issued access token invalid (the next request gets 401).
    func expireTokens() {
        self.withLock { self.tokens.removeAll() }
    }

    private static func randomToken(_ random: inout SplitMix64) -> String {
        (0..<3).map { _ in String(random.next(), radix: 36) }.joined()
    }

    // MARK: faults and counters

    func inject(_ fault: SimulatedFault) {
        self.withLock { self.scripted.append(fault) }
    }

    /// Counts the request and picks its fault, scripted first, then by the configured rates.
    func recordRequest(method: String, path: String, isStatus: Bool) -> SimulatedFault? {
        self.withLock {
            self.counters.requests += 1
            if isStatus { self.counters.statusRequests += 1 }
            if let index = self.scripted.firstIndex(where: { $0.matches(method: method, path: path) }) {
                var fault = self.scripted[index]
                fault.count -= 1
                if fault.count <= 0 { self.scripted.remove(at: index) } else { self.scripted[index] = fault }
                self.counters.faultsInjected += 1
                return fault
            }
            let rates = self.configuration.faults
            if rates.isEmpty { return nil }
            var draw = self.random.nextUnit()
            let candidates: [(Double, SimulatedFault)] = [
                (rates.serverError, SimulatedFault(.status, status: [500, 502, 503, 504][Int(self.random.next() % 4)])),
                (rates.throttle, SimulatedFault(.throttle, retryAfter: rates.throttleRetryAfter)),
                (rates.slow, SimulatedFault(.slow, milliseconds: rates.slowMilliseconds)),
                (rates.malformedJSON, SimulatedFault(.malformed)),
                (rates.reset, SimulatedFault(.resetAfter)),
            ]
            for (rate, fault) in candidates {
                if draw < rate {
                    self.counters.faultsInjected += 1
                    return fault
                }
                draw -= rate
            }
            return nil
        }
    }

    func recordAuthFailure() {
        self.withLock { self.counters.authFailures += 1 }
    }

    func snapshot(now: Date = Date()) -> SimulatorStats {
        self.withLock {
            var running: [String: Int] = [:]
            for (user, ids) in self.activeByUser {
                running[user] = ids.filter { self.jobs[$0]?.end.map { $0 > now } ?? false }.count
            }
            return SimulatorStats(
                requests: self.counters.requests,
                statusRequests: self.counters.statusRequests,
                jobsCreated: self.counters.jobsCreated,
                jobsStarted: self.counters.jobsStarted,
                limitRejections: self.counters.limitRejections,
                faultsInjected: self.counters.faultsInjected,
                authFailures: self.counters.authFailures,
                jobsPerKey: self.createdByKey,
                peakActiveByUser: self.peakByUser,
                activeByUser: running
            )
        }
    }
}

/// What the simulator has seen: served at `GET /_simulator/stats`.
public struct SimulatorStats: Sendable, Codable, Equatable {
    public var requests: Int
    public var statusRequests: Int
    public var jobsCreated: Int
    public var jobsStarted: Int
    /// Starts refused by the concurrency limit.
    public var limitRejections: Int
    public var faultsInjected: Int
    public var authFailures: Int
    /// Jobs created per idempotency key (from the `[tilefleet:<key>]` title marker): any value above 1
    /// is a duplicate submit.
    public var jobsPerKey: [String: Int]
    /// The most jobs each user had queued or running at once.
    public var peakActiveByUser: [String: Int]
    /// Jobs each user has queued or running now.
    public var activeByUser: [String: Int]

    /// Keys with more than one job.
    public var duplicateKeys: [String] {
        self.jobsPerKey.filter { $0.value > 1 }.map(\.key).sorted()
    }

    enum CodingKeys: String, CodingKey {
        case requests, statusRequests = "status_requests", jobsCreated = "jobs_created", jobsStarted = "jobs_started"
        case limitRejections = "limit_rejections", faultsInjected = "faults_injected", authFailures = "auth_failures"
        case jobsPerKey = "jobs_per_key", peakActiveByUser = "peak_active_by_user", activeByUser = "active_by_user"
    }
}
