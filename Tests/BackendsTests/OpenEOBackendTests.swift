import Backends
import Foundation
import Geo
import HTTP
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
