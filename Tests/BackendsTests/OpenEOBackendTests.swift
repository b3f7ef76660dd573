import Backends
import Foundation
import Geo
import HTTP
import Logging
import Simulator
import XCTest

final class OpenEOBackendTests: XCTestCase {
    func testHappyPathReportsEveryStatusAndDownloadableResults() async throws {
        try await withSimulator(.init(duration: .fixed(0.3), queueSeconds: 0.1)) { client, origin, simulator in
            let backend = openEOBasic(client, origin)
            let id = try await backend.submit(udpJob, idempotencyKey: "t1-tile1-a1")
            let (final, seen) = try await follow(backend, id)
            XCTAssertEqual(final.status, .finished)
            XCTAssertEqual(seen, ["queued", "running", "finished"])
            let assets = try await backend.results(of: id)
            let tif = try XCTUnwrap(assets.first { $0.name == "openEO.tif" })
            XCTAssertEqual(tif.mediaType, "image/tiff; application=geotiff")
            XCTAssertEqual(tif.roles, ["data"])
            XCTAssertEqual(tif.size, simulator.configuration.assetSize)
            let download = try await client.execute(HTTPClient.Request(tif.href))
            XCTAssertEqual(download.body.count, simulator.configuration.assetSize)
            let value1 = try await backend.find(idempotencyKey: "t1-tile1-a1")
            XCTAssertEqual(value1, id)
            let value2 = try await backend.find(idempotencyKey: "other")
            XCTAssertNil(value2)
            let value3 = try await backend.logs(of: id).isEmpty
            XCTAssertFalse(value3)
        }
    }

    func testFailedJobCarriesThePlatformMessage() async throws {
        try await withSimulator(.init(duration: .fixed(0.05), failureRate: 1)) { client, origin, _ in
            let backend = openEOBasic(client, origin)
            let id = try await backend.submit(udpJob, idempotencyKey: "fail")
            let (final, _) = try await follow(backend, id)
            XCTAssertEqual(final.status, .failed)
            XCTAssertEqual(final.rawStatus, "error")
            XCTAssertTrue(final.message?.contains("Simulated failure") ?? false, "\(String(describing: final.message))")
        }
    }

    func testCancelEndsCanceled() async throws {
        try await withSimulator(.init(duration: .fixed(30))) { client, origin, _ in
            let backend = openEOBasic(client, origin)
            let id = try await backend.submit(udpJob, idempotencyKey: "cancel")
            try await backend.cancel(id)
            let status = try await backend.status(of: id)
            XCTAssertEqual(status.status, .canceled)
            XCTAssertEqual(status.rawStatus, "canceled")
        }
    }

    func testConcurrencyLimitIsTryLaterWithTheCreatedJob() async throws {
        try await withSimulator(.init(duration: .fixed(30), concurrencyLimit: 1)) { client, origin, simulator in
            let backend = openEOBasic(client, origin)
            _ = try await backend.submit(udpJob, idempotencyKey: "first")
            do {
                _ = try await backend.submit(udpJob, idempotencyKey: "second")
                XCTFail("expected tryLater")
            } catch BackendError.tryLater(let retryAfter, let message, let jobID) {
                XCTAssertNotNil(jobID)
                XCTAssertEqual(retryAfter, .seconds(5))
                XCTAssertTrue(message.contains("ConcurrentJobLimit"), message)
            }
            XCTAssertEqual(simulator.stats().peakActiveByUser["tilefleet"], 1)
        }
    }

    func testTransientFaultsOnStatusAreRetried() async throws {
        try await withSimulator { client, origin, simulator in
            let backend = openEOBasic(client, origin)
            let id = try await backend.submit(udpJob, idempotencyKey: "faults")
            simulator.inject(SimulatedFault(.status, method: "GET", pathSuffix: id, status: 503))
            simulator.inject(SimulatedFault(.throttle, method: "GET", pathSuffix: id, retryAfter: 1))
            simulator.inject(SimulatedFault(.resetBefore, method: "GET", pathSuffix: id))
            let status = try await backend.status(of: id)
            XCTAssertEqual(status.status.isFinal || status.status == .running || status.status == .submitted, true)
            XCTAssertEqual(simulator.stats().faultsInjected, 3)
        }
    }

    func testPersistent5xxGivesUpWithThePlatformMessage() async throws {
        try await withSimulator { client, origin, simulator in
            let backend = openEOBasic(client, origin)
            let id = try await backend.submit(udpJob, idempotencyKey: "5xx")
            simulator.inject(SimulatedFault(.status, method: "GET", pathSuffix: id, status: 502, count: 10))
            do {
                _ = try await backend.status(of: id)
                XCTFail("expected a give-up")
            } catch let error as BackendError {
                guard case .server(let status, let message) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(status, 502)
                XCTAssertTrue(message.contains("Simulated HTTP 502"), message)
            }
        }
    }

    func testMalformedJSONIsAnInvalidResponse() async throws {
        try await withSimulator { client, origin, simulator in
            let backend = openEOBasic(client, origin)
            let id = try await backend.submit(udpJob, idempotencyKey: "garbage")
            simulator.inject(SimulatedFault(.malformed, method: "GET", pathSuffix: id))
            do {
                _ = try await backend.status(of: id)
                XCTFail("expected invalidResponse")
            } catch BackendError.invalidResponse(let message) {
                XCTAssertTrue(message.contains("truncated"), message)
            }
        }
    }

    func testLostSubmitResponseDoesNotCreateASecondJob() async throws {
        try await withSimulator { client, origin, simulator in
            let backend = openEOBasic(client, origin)
            simulator.inject(SimulatedFault(.resetAfter, method: "POST", pathSuffix: "/openeo/jobs"))
            let id = try await backend.submit(udpJob, idempotencyKey: "lost-answer")
            XCTAssertEqual(simulator.stats().jobsPerKey["lost-answer"], 1)
            let (final, _) = try await follow(backend, id)
            XCTAssertEqual(final.status, .finished, "the found job was started")
        }
    }

    func testUnavailableSubmitIsResentOnlyAfterFindShowsNothing() async throws {
        try await withSimulator { client, origin, simulator in
            let backend = openEOBasic(client, origin)
            simulator.inject(SimulatedFault(.status, method: "POST", pathSuffix: "/openeo/jobs", status: 503))
            simulator.inject(SimulatedFault(.resetBefore, method: "POST", pathSuffix: "/openeo/jobs"))
            _ = try await backend.submit(udpJob, idempotencyKey: "unavailable")
            XCTAssertEqual(simulator.stats().jobsPerKey["unavailable"], 1)
            XCTAssertTrue(simulator.stats().duplicateKeys.isEmpty)
        }
    }

    func testExpiredTokenIsRefreshedOnceAfter401() async throws {
        try await withSimulator { client, origin, simulator in
            let backend = openEOBasic(client, origin)
            let id = try await backend.submit(udpJob, idempotencyKey: "refresh")
            simulator.expireTokens()
            _ = try await backend.status(of: id)
            XCTAssertEqual(simulator.stats().authFailures, 1)
        }
    }

    func testOIDCClientCredentials() async throws {
        try await withSimulator { client, origin, simulator in
            let base = origin + "/openeo"
            let plain = BackendTransport(client: client, policy: testPolicy)
            let auth = OpenEOAuthenticator.oidc(
                baseURL: base, providerID: "sim", clientID: "tilefleet-client", clientSecret: Secret("tilefleet-secret"),
                refreshToken: nil, scopes: nil, transport: plain
            )
            let header = try await auth.authorization()
            XCTAssertTrue(header?.value.hasPrefix("Bearer oidc/sim/") ?? false)
            let backend = OpenEOBackend(name: "oidc", baseURL: base, transport: plain.with(authenticator: auth))
            let id = try await backend.submit(udpJob, idempotencyKey: "oidc")
            simulator.expireTokens()
            let value4 = try await backend.status(of: id)
            XCTAssertNotNil(value4)
        }
    }

    func testWrongPasswordNeverAppearsInTheError() async throws {
        try await withSimulator { client, origin, _ in
            let backend = openEOBasic(client, origin, password: "s3cr3t-Pa55")
            do {
                _ = try await backend.submit(udpJob, idempotencyKey: "auth")
                XCTFail("expected an authentication error")
            } catch let error as BackendError {
                guard case .authentication = error else { return XCTFail("\(error)") }
                XCTAssertFalse("\(error)".contains("s3cr3t-Pa55"))
                XCTAssertFalse(String(reflecting: error).contains("s3cr3t-Pa55"))
                XCTAssertTrue(error.message.contains("Credentials are not correct"), error.message)
            }
            XCTAssertEqual("\(Secret("s3cr3t-Pa55"))", "<redacted>")
            XCTAssertFalse(String(reflecting: Secret("s3cr3t-Pa55")).contains("s3cr3t"))
        }
    }
}

final class BackendFaultTests: XCTestCase {
    func testTimedOutSubmitIsFoundNotResent() async throws {
        try await withSimulator { client, origin, simulator in
            let base = origin + "/openeo"
            let plain = BackendTransport(client: client, policy: testPolicy, requestTimeout: .milliseconds(300))
            let auth = OpenEOAuthenticator.basic(baseURL: base, username: "tilefleet", password: Secret("tilefleet"), transport: plain)
            let backend = OpenEOBackend(name: "sim", baseURL: base, transport: plain.with(authenticator: auth))
            simulator.inject(SimulatedFault(.slow, method: "POST", pathSuffix: "/openeo/jobs", milliseconds: 1500))
            _ = try await backend.submit(udpJob, idempotencyKey: "slow-submit")
            XCTAssertEqual(simulator.stats().jobsPerKey["slow-submit"], 1)
        }
    }

    func testGarbledCreateAnswerIsFoundNotResent() async throws {
        try await withSimulator { client, origin, simulator in
            simulator.inject(SimulatedFault(.malformed, method: "POST", pathSuffix: "/openeo/jobs"))
            let id = try await openEOBasic(client, origin).submit(udpJob, idempotencyKey: "garbled")
            XCTAssertEqual(simulator.stats().jobsPerKey["garbled"], 1)
            XCTAssertTrue(id.hasPrefix("j-"))
        }
    }

    func testRandomFaultsNeverDuplicateJobs() async throws {
        let faults = SimulatorConfiguration.Faults(serverError: 0.1, throttle: 0.05, throttleRetryAfter: 0, reset: 0.1)
        try await withSimulator(.init(duration: .fixed(0.05), faults: faults, seed: 7)) { client, origin, simulator in
            let base = origin + "/openeo"
            let plain = BackendTransport(client: client, policy: RetryPolicy(maxAttempts: 10, initialDelay: .milliseconds(5), maxDelay: .milliseconds(20)))
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
            XCTAssertGreaterThan(stats.faultsInjected, 0)
            XCTAssertGreaterThanOrEqual(submitted, 30)
            XCTAssertEqual(stats.duplicateKeys, [])
        }
    }

    func testSecretsNeverAppearInLogs() async throws {
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
        XCTAssertTrue(text.contains("re-authorizing after 401"), text)
        XCTAssertTrue(text.contains("retrying"), text)
        for secret in ["pa55-w0rd-XYZ", "wrong-XYZ-secret", "basic//", "Basic "] {
            XCTAssertFalse(text.contains(secret), "\(secret) leaked into: \(text)")
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
