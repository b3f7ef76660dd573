import Backends
import FleetConfig
import FleetModel
import Foundation
import Geo
import HTTP
import Logging
import Simulator
import TestSupport
import Testing

/// The openEO backend against the simulator: the job lifecycle, failures, cancel, limits, transient
/// faults, lost submit answers, token refresh and credentials that never leak.
@Suite("openEO backend") struct OpenEOBackendTests {
    @Test func happyPathReportsEveryStatusAndDownloadableResults() async throws {
        // Each status lasts two seconds, so polls every 20 ms see all of them even while the rest of
        // the suite loads the machine.
        try await withSimulator(.init(duration: .fixed(2), queueSeconds: 2)) { client, origin, simulator in
            let backend = openEOBasic(client, origin)
            let id = try await backend.submit(udpJob, idempotencyKey: "t1-tile1-a1")
            let (final, seen) = try await follow(backend, id)
            #expect(final.status == .finished)
            #expect(seen == ["queued", "running", "finished"])
            let assets = try await backend.results(of: id)
            let tif = try #require(assets.first { $0.name == "openEO.tif" })
            #expect(tif.mediaType == "image/tiff; application=geotiff")
            #expect(tif.roles == ["data"])
            #expect(tif.size == simulator.configuration.assetSize)
            #expect(try await client.execute(HTTPClient.Request(tif.href)).status == 401, "asset links need the login, as on openeo-driver")
            let plain = BackendTransport(client: client, policy: testPolicy)
            let downloader = AssetDownloader(client: client, backendURL: origin + "/openeo", authenticator: OpenEOAuthenticator.basic(
                baseURL: origin + "/openeo", username: "tilefleet", password: Secret("tilefleet"), transport: plain))
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-openeo-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let bytes = try await downloader.fetch(tif.href, into: try ConfinedDirectory(path: directory.path), path: ["openEO.tif"])
            #expect(bytes == Int64(simulator.configuration.assetSize))
            let found = try await backend.find(idempotencyKey: "t1-tile1-a1")
            #expect(found == id)
            let other = try await backend.find(idempotencyKey: "other")
            #expect(other == nil)
            let noLogs = try await backend.logs(of: id).isEmpty
            #expect(!noLogs)
        }
    }

    /// Many keys, one pass over the account's job list; each key gets its own job.
    @Test func aJobReportsCostsByAreaAndRunTimeAndTheAccountsBudgetShrinks() async throws {
        var configuration = SimulatorConfiguration(duration: .fixed(1))
        configuration.costs = .init(perSecond: 2, perKm2: 0.01, noise: 0)
        configuration.budget = 100
        try await withSimulator(configuration) { client, origin, _ in
            let backend = openEOBasic(client, origin)
            #expect(try await backend.account()?.details.contains("budget 100.0") == true)
            let id = try await backend.submit(udpJob, idempotencyKey: "costed")
            let (final, _) = try await follow(backend, id)
            #expect(final.status == .finished)
            // udpJob's box: 0.3° × 0.2° at 48.2° N.
            let area = 0.3 * 111.32 * cos(48.2 * Double.pi / 180) * 0.2 * 110.57
            let costs = try #require(final.costs)
            #expect(abs(costs - (2 * 1 + 0.01 * area)) < 0.002, "\(costs)")
            #expect(final.usage?["duration"] == UsageQuantity(value: 1, unit: "seconds"))
            #expect(final.usage?["cpu"] == UsageQuantity(value: 2, unit: "cpu-seconds"))
            let budget = try #require(try await backend.account()?.details.first { $0.hasPrefix("budget ") })
            #expect(abs(Double(budget.dropFirst("budget ".count))! - (100 - costs)) < 0.002, "\(budget)")
        }
    }

    @Test func findingManyKeysListsTheAccountOnce() async throws {
        try await withSimulator(.init(duration: .fixed(30))) { client, origin, simulator in
            let backend = openEOBasic(client, origin)
            var ids: [String: String] = [:]
            for key in ["k-1", "k-2", "k-3"] { ids[key] = try await backend.submit(udpJob, idempotencyKey: key) }
            let before = simulator.stats().requests
            let found = try await backend.find(idempotencyKeys: ["k-1", "k-2", "k-3", "k-missing"])
            #expect(found == ids)
            #expect(simulator.stats().requests - before == 1, "one page of GET /jobs for four keys")
        }
    }

    @Test func failedJobCarriesThePlatformMessage() async throws {
        try await withSimulator(.init(duration: .fixed(0.05), failureRate: 1)) { client, origin, _ in
            let backend = openEOBasic(client, origin)
            let id = try await backend.submit(udpJob, idempotencyKey: "fail")
            let (final, _) = try await follow(backend, id)
            #expect(final.status == .failed)
            #expect(final.rawStatus == "error")
            #expect(final.message?.contains("Simulated failure") ?? false, "\(String(describing: final.message))")
        }
    }

    @Test func cancelEndsCanceled() async throws {
        try await withSimulator(.init(duration: .fixed(30))) { client, origin, _ in
            let backend = openEOBasic(client, origin)
            let id = try await backend.submit(udpJob, idempotencyKey: "cancel")
            try await backend.cancel(id)
            let status = try await backend.status(of: id)
            #expect(status.status == .canceled)
            #expect(status.rawStatus == "canceled")
        }
    }

    @Test func concurrencyLimitIsTryLaterWithTheCreatedJob() async throws {
        try await withSimulator(.init(duration: .fixed(30), concurrencyLimit: 1)) { client, origin, simulator in
            let backend = openEOBasic(client, origin)
            _ = try await backend.submit(udpJob, idempotencyKey: "first")
            do {
                _ = try await backend.submit(udpJob, idempotencyKey: "second")
                Issue.record("expected tryLater")
            } catch BackendError.tryLater(let retryAfter, let message, let jobID) {
                #expect(jobID != nil)
                #expect(retryAfter == .seconds(5))
                #expect(message.contains("ConcurrentJobLimit"), "\(message)")
            }
            #expect(simulator.stats().peakActiveByUser["tilefleet"] == 1)
        }
    }

    /// A parked tile's job is taken up by its id: refused again while the platform is full, started
    /// once a slot is free, with two requests (status, start) and no listing and no second job; an id
    /// the platform no longer knows falls back to the lookup by key.
    @Test func resumeStartsACreatedJobByItsIDWithoutAListing() async throws {
        try await withSimulator(.init(duration: .fixed(30), concurrencyLimit: 1)) { client, origin, simulator in
            let backend = openEOBasic(client, origin)
            let first = try await backend.submit(udpJob, idempotencyKey: "first")
            var parked: String?
            do {
                _ = try await backend.submit(udpJob, idempotencyKey: "second")
            } catch BackendError.tryLater(_, _, let jobID) {
                parked = jobID
            }
            let second = try #require(parked)
            await #expect(throws: BackendError.self) { _ = try await backend.resume(jobID: second, idempotencyKey: "second") }
            #expect(try await backend.status(of: second).rawStatus == "created")
            try await backend.cancel(first)
            let before = simulator.stats().requests
            #expect(try await backend.resume(jobID: second, idempotencyKey: "second") == second)
            #expect(simulator.stats().requests - before == 2)
            #expect(try await backend.status(of: second).rawStatus == "running")
            #expect(try await backend.resume(jobID: second, idempotencyKey: "second") == second)
            #expect(try await backend.resume(jobID: "gone", idempotencyKey: "second") == second)
            #expect(try await backend.resume(jobID: "gone", idempotencyKey: "never") == nil)
            #expect(simulator.stats().jobsCreated == 2)
            #expect(simulator.stats().duplicateKeys.isEmpty)
        }
    }

    @Test func transientFaultsOnStatusAreRetried() async throws {
        try await withSimulator { client, origin, simulator in
            let backend = openEOBasic(client, origin)
            let id = try await backend.submit(udpJob, idempotencyKey: "faults")
            simulator.inject(SimulatedFault(.status, method: "GET", pathSuffix: id, status: 503))
            simulator.inject(SimulatedFault(.throttle, method: "GET", pathSuffix: id, retryAfter: 1))
            simulator.inject(SimulatedFault(.resetBefore, method: "GET", pathSuffix: id))
            let status = try await backend.status(of: id)
            #expect(status.status.isFinal || status.status == .running || status.status == .submitted)
            #expect(simulator.stats().faultsInjected == 3)
        }
    }

    @Test func persistent5xxGivesUpWithThePlatformMessage() async throws {
        try await withSimulator { client, origin, simulator in
            let backend = openEOBasic(client, origin)
            let id = try await backend.submit(udpJob, idempotencyKey: "5xx")
            simulator.inject(SimulatedFault(.status, method: "GET", pathSuffix: id, status: 502, count: 10))
            do {
                _ = try await backend.status(of: id)
                Issue.record("expected a give-up")
            } catch let error as BackendError {
                guard case .server(let status, let message) = error else {
                    Issue.record("\(error)")
                    return
                }
                #expect(status == 502)
                #expect(message.contains("Simulated HTTP 502"), "\(message)")
            }
        }
    }

    @Test func malformedJSONIsAnInvalidResponse() async throws {
        try await withSimulator { client, origin, simulator in
            let backend = openEOBasic(client, origin)
            let id = try await backend.submit(udpJob, idempotencyKey: "garbage")
            simulator.inject(SimulatedFault(.malformed, method: "GET", pathSuffix: id))
            do {
                _ = try await backend.status(of: id)
                Issue.record("expected invalidResponse")
            } catch BackendError.invalidResponse(let message) {
                #expect(message.contains("truncated"), "\(message)")
            }
        }
    }

    @Test func lostSubmitResponseDoesNotCreateASecondJob() async throws {
        try await withSimulator { client, origin, simulator in
            let backend = openEOBasic(client, origin)
            simulator.inject(SimulatedFault(.resetAfter, method: "POST", pathSuffix: "/openeo/jobs"))
            let id = try await backend.submit(udpJob, idempotencyKey: "lost-answer")
            #expect(simulator.stats().jobsPerKey["lost-answer"] == 1)
            let (final, _) = try await follow(backend, id)
            #expect(final.status == .finished, "the found job was started")
        }
    }

    @Test func unavailableSubmitIsResentOnlyAfterFindShowsNothing() async throws {
        try await withSimulator { client, origin, simulator in
            let backend = openEOBasic(client, origin)
            simulator.inject(SimulatedFault(.status, method: "POST", pathSuffix: "/openeo/jobs", status: 503))
            simulator.inject(SimulatedFault(.resetBefore, method: "POST", pathSuffix: "/openeo/jobs"))
            _ = try await backend.submit(udpJob, idempotencyKey: "unavailable")
            #expect(simulator.stats().jobsPerKey["unavailable"] == 1)
            #expect(simulator.stats().duplicateKeys.isEmpty)
        }
    }

    /// An expired token is answered 403 `TokenInvalid`, as openeo-driver does; the adapter fetches a
    /// new one once and resends.
    @Test func expiredTokenIsRefreshedOnceAfterTokenInvalid() async throws {
        try await withSimulator { client, origin, simulator in
            let backend = openEOBasic(client, origin)
            let id = try await backend.submit(udpJob, idempotencyKey: "refresh")
            simulator.expireTokens()
            _ = try await backend.status(of: id)
            #expect(simulator.stats().authFailures == 1)
        }
    }

    @Test("OIDC client credentials") func oidcClientCredentials() async throws {
        try await withSimulator { client, origin, simulator in
            let base = origin + "/openeo"
            let plain = BackendTransport(client: client, policy: testPolicy)
            let auth = OpenEOAuthenticator.oidc(
                baseURL: base, providerID: "sim", clientID: "tilefleet-client", clientSecret: Secret("tilefleet-secret"),
                refreshToken: nil, scopes: nil, transport: plain
            )
            let header = try await auth.authorization()
            #expect(header?.value.hasPrefix("Bearer oidc/sim/") ?? false)
            let backend = OpenEOBackend(name: "oidc", baseURL: base, transport: plain.with(authenticator: auth))
            let id = try await backend.submit(udpJob, idempotencyKey: "oidc")
            simulator.expireTokens()
            let status: BackendJobStatus? = try await backend.status(of: id)
            #expect(status != nil)
        }
    }

    @Test func wrongPasswordNeverAppearsInTheError() async throws {
        try await withSimulator { client, origin, _ in
            let backend = openEOBasic(client, origin, password: "s3cr3t-Pa55")
            do {
                _ = try await backend.submit(udpJob, idempotencyKey: "auth")
                Issue.record("expected an authentication error")
            } catch let error as BackendError {
                guard case .authentication = error else {
                    Issue.record("\(error)")
                    return
                }
                #expect(!"\(error)".contains("s3cr3t-Pa55"))
                #expect(!String(reflecting: error).contains("s3cr3t-Pa55"))
                #expect(error.message.contains("Credentials are not correct"), "\(error.message)")
            }
            #expect("\(Secret("s3cr3t-Pa55"))" == "<redacted>")
            #expect(!String(reflecting: Secret("s3cr3t-Pa55")).contains("s3cr3t"))
        }
    }
}

/// Faults around submits that must never create a second job, and secrets kept out of the logs.
@Suite struct BackendFaultTests {
    @Test func timedOutSubmitIsFoundNotResent() async throws {
        try await withSimulator { client, origin, simulator in
            let base = origin + "/openeo"
            // Only the submit is slow; the login has the default timeout, so a loaded machine cannot
            // make it time out instead.
            let login = BackendTransport(client: client, policy: testPolicy)
            let plain = BackendTransport(client: client, policy: testPolicy, requestTimeout: .seconds(1))
            let auth = OpenEOAuthenticator.basic(baseURL: base, username: "tilefleet", password: Secret("tilefleet"), transport: login)
            let backend = OpenEOBackend(name: "sim", baseURL: base, transport: plain.with(authenticator: auth))
            simulator.inject(SimulatedFault(.slow, method: "POST", pathSuffix: "/openeo/jobs", milliseconds: 4000))
            _ = try await backend.submit(udpJob, idempotencyKey: "slow-submit")
            #expect(simulator.stats().jobsPerKey["slow-submit"] == 1)
        }
    }

    @Test func garbledCreateAnswerIsFoundNotResent() async throws {
        try await withSimulator { client, origin, simulator in
            simulator.inject(SimulatedFault(.malformed, method: "POST", pathSuffix: "/openeo/jobs"))
            let id = try await openEOBasic(client, origin).submit(udpJob, idempotencyKey: "garbled")
            #expect(simulator.stats().jobsPerKey["garbled"] == 1)
            #expect(id.hasPrefix("j-"))
        }
    }

    @Test func randomFaultsNeverDuplicateJobs() async throws {
        let faults = SimulatorConfiguration.Faults(serverError: 0.1, throttle: 0.05, throttleRetryAfter: 0, reset: 0.1)
        try await withSimulator(.init(duration: .fixed(0.05), faults: faults, seed: 7)) { client, origin, simulator in
            let base = origin + "/openeo"
            let plain = BackendTransport(client: client, policy: RequestRetryPolicy(maxAttempts: 10, initialDelay: .milliseconds(5), maxDelay: .milliseconds(20)))
            let auth = OpenEOAuthenticator.basic(baseURL: base, username: "tilefleet", password: Secret("tilefleet"), transport: plain)
            let backend = OpenEOBackend(name: "sim", baseURL: base, transport: plain.with(authenticator: auth))
            var submitted = 0
            for index in 0..<40 {
                do {
                    _ = try await backend.submit(udpJob, idempotencyKey: "chaos-\(index)")
                    submitted += 1
                } catch let error as BackendError where error.isTransient {
                    continue
                }
            }
            let stats = simulator.stats()
            #expect(stats.faultsInjected > 0)
            #expect(submitted >= 30)
            #expect(stats.duplicateKeys == [])
        }
    }

    @Test func secretsNeverAppearInLogs() async throws {
        let captured = CapturedLog()
        var logger = Logger(label: "test") { _ in CapturingLogHandler(log: captured) }
        logger.logLevel = .trace
        let configuration = SimulatorConfiguration(duration: .fixed(0.05), users: ["alice": "pa55-w0rd-XYZ"])
        try await withSimulator(configuration) { client, origin, simulator in
            let yaml = """
                backends:
                  - name: sim
                    kind: openeo
                    url: \(origin)/openeo
                    retry: { initial_delay: 10ms, max_delay: 20ms }
                    auth: { method: basic, username: alice, password_env: SIM_PASSWORD }
                """
            let backend = try BackendsConfiguration.parse(yaml: yaml).backend(named: "sim")
                .makeBackend(client: client, logger: logger, environment: ["SIM_PASSWORD": "pa55-w0rd-XYZ"])
            let id = try await backend.submit(udpJob, idempotencyKey: "log")
            simulator.expireTokens()
            simulator.inject(SimulatedFault(.status, method: "GET", pathSuffix: id, status: 503))
            _ = try await backend.status(of: id)
            let wrong = try BackendsConfiguration.parse(yaml: yaml).backend(named: "sim")
                .makeBackend(client: client, logger: logger, environment: ["SIM_PASSWORD": "wrong-XYZ-secret"])
            do {
                _ = try await wrong.submit(udpJob, idempotencyKey: "log2")
            } catch {
                logger.error("submit failed", metadata: ["error": "\(error)", "debug": "\(String(reflecting: error))"])
            }
        }
        let text = captured.text
        #expect(text.contains("re-authorizing after 403"), "\(text)")
        #expect(text.contains("retrying"), "\(text)")
        for secret in ["pa55-w0rd-XYZ", "wrong-XYZ-secret", "basic//", "Basic "] {
            #expect(!text.contains(secret), "\(secret) leaked into: \(text)")
        }
    }
}

final class CapturedLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { self.lock.withLock { self.lines.append(line) } }
    var text: String { self.lock.withLock { self.lines.joined(separator: "\n") } }
}

struct CapturingLogHandler: LogHandler {
    let log: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        let all = self.metadata.merging(metadata ?? [:]) { $1 }
        self.log.append("\(level) \(message) \(all.map { "\($0)=\($1)" }.sorted().joined(separator: " "))")
    }
}
