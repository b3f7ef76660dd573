import Backends
import FleetModel
import Foundation
import Geo
import HTTP
import Simulator
import XCTest

final class OGCProcessesBackendTests: XCTestCase {
    func testAsyncExecutionStatusesAndResults() async throws {
        try await withSimulator(.init(duration: .fixed(0.3), queueSeconds: 0.1)) { client, origin, simulator in
            let backend = ogcBasic(client, origin)
            let id = try await backend.submit(ogcJob, idempotencyKey: "ogc-1")
            let (final, seen) = try await follow(backend, id)
            XCTAssertEqual(final.status, .finished)
            XCTAssertEqual(seen, ["accepted", "running", "successful"])
            let assets = try await backend.results(of: id)
            XCTAssertEqual(assets.map(\.name), ["result", "summary"])
            XCTAssertTrue(assets[0].href.hasSuffix("/assets/\(id)/result.tif"))
            XCTAssertTrue(assets[1].href.hasPrefix("data:application/json;base64,"))
            let value1 = try await backend.find(idempotencyKey: "ogc-1")
            XCTAssertEqual(value1, id)
            XCTAssertEqual(simulator.stats().jobsPerKey["ogc-1"], 1)
        }
    }

    func testNullAndEmptyCreatedBodiesUseLocation() async throws {
        for body in ["null", "empty"] {
            try await withSimulator(.init(duration: .fixed(0.05), ogcCreatedBody: body)) { client, origin, _ in
                let backend = ogcBasic(client, origin)
                let id = try await backend.submit(ogcJob, idempotencyKey: "loc-\(body)")
                XCTAssertTrue(id.hasPrefix("ogc-"), id)
            }
        }
    }

    func testServerIgnoringPreferFinishesSynchronously() async throws {
        try await withSimulator(.init(duration: .fixed(0.05), ogcIgnorePrefer: true)) { client, origin, _ in
            let backend = ogcBasic(client, origin)
            let id = try await backend.submit(ogcJob, idempotencyKey: "sync")
            let value2 = try await backend.status(of: id).status
            XCTAssertEqual(value2, .finished)
            let value3 = try await backend.results(of: id).map(\.name)
            XCTAssertEqual(value3, ["result", "summary"])
        }
    }

    func testFailedAndDismissed() async throws {
        try await withSimulator(.init(duration: .fixed(0.05), failureRate: 1)) { client, origin, _ in
            let backend = ogcBasic(client, origin)
            let id = try await backend.submit(ogcJob, idempotencyKey: "failing")
            let (final, _) = try await follow(backend, id)
            XCTAssertEqual(final.status, .failed)
            XCTAssertTrue(final.message?.contains("Simulated failure") ?? false)
        }
        try await withSimulator(.init(duration: .fixed(30))) { client, origin, _ in
            let backend = ogcBasic(client, origin)
            let id = try await backend.submit(ogcJob, idempotencyKey: "dismiss")
            try await backend.cancel(id)
            let status = try await backend.status(of: id)
            XCTAssertEqual(status.status, .canceled)
            XCTAssertEqual(status.rawStatus, "dismissed")
        }
    }

    func testLostSubmitResponseIsFoundByTitle() async throws {
        try await withSimulator { client, origin, simulator in
            let backend = ogcBasic(client, origin)
            simulator.inject(SimulatedFault(.resetAfter, method: "POST", pathSuffix: "/execution"))
            let id = try await backend.submit(ogcJob, idempotencyKey: "ogc-lost")
            XCTAssertEqual(simulator.stats().jobsPerKey["ogc-lost"], 1)
            XCTAssertTrue(id.hasPrefix("ogc-"))
        }
    }

    func testUnknownProcessIsRejectedWithTheProblemDetail() async throws {
        try await withSimulator { client, origin, _ in
            let backend = ogcBasic(client, origin)
            do {
                _ = try await backend.submit(BackendJob(process: .named(id: "nope", namespace: nil)), idempotencyKey: "x")
                XCTFail("expected rejection")
            } catch BackendError.notFound(let message) {
                XCTAssertTrue(message.contains("Process nope does not exist"), message)
            }
        }
    }

    func testConcurrencyLimitIsTryLater() async throws {
        try await withSimulator(.init(duration: .fixed(30), concurrencyLimit: 1)) { client, origin, _ in
            let transport = BackendTransport(
                client: client,
                policy: RetryPolicy(maxAttempts: 1),
                authenticator: StaticAuthenticator.basic(username: "tilefleet", password: Secret("tilefleet"))
            )
            let backend = OGCProcessesBackend(name: "ogc", baseURL: origin + "/ogc", transport: transport)
            _ = try await backend.submit(ogcJob, idempotencyKey: "a")
            do {
                _ = try await backend.submit(ogcJob, idempotencyKey: "b")
                XCTFail("expected tryLater")
            } catch BackendError.tryLater(let retryAfter, let message, _) {
                XCTAssertEqual(retryAfter, .seconds(5))
                XCTAssertTrue(message.contains("too-many-jobs"), message)
            }
        }
    }
}
