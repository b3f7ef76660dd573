import Backends
import FleetConfig
import FleetModel
import Foundation
import Geo
import HTTP
import Simulator
import TestSupport
import Testing

/// The OGC API – Processes backend against the simulator: async execution, created bodies without a
/// status document, servers that ignore `Prefer`, failures, lost answers and limits.
@Suite("OGC API – Processes backend") struct OGCProcessesBackendTests {
    @Test func asyncExecutionStatusesAndResults() async throws {
        // Each status lasts two seconds, so polls every 20 ms see all of them even while the rest of
        // the suite loads the machine.
        try await withSimulator(.init(duration: .fixed(2), queueSeconds: 2)) { client, origin, simulator in
            let backend = ogcBasic(client, origin)
            let id = try await backend.submit(ogcJob, idempotencyKey: "ogc-1")
            let (final, seen) = try await follow(backend, id)
            #expect(final.status == .finished)
            #expect(seen == ["accepted", "running", "successful"])
            let assets = try await backend.results(of: id)
            #expect(assets.map(\.name) == ["result", "summary"])
            #expect(assets[0].href.hasSuffix("/assets/\(id)/result.tif"))
            #expect(assets[1].href.hasPrefix("data:application/json;base64,"))
            let found = try await backend.find(idempotencyKey: "ogc-1")
            #expect(found == id)
            #expect(simulator.stats().jobsPerKey["ogc-1"] == 1)
        }
    }

    @Test func nullAndEmptyCreatedBodiesUseLocation() async throws {
        for body in ["null", "empty"] {
            try await withSimulator(.init(duration: .fixed(0.05), ogcCreatedBody: body)) { client, origin, _ in
                let backend = ogcBasic(client, origin)
                let id = try await backend.submit(ogcJob, idempotencyKey: "loc-\(body)")
                #expect(id.hasPrefix("ogc-"), "\(id)")
            }
        }
    }

    @Test func serverIgnoringPreferFinishesSynchronously() async throws {
        try await withSimulator(.init(duration: .fixed(0.05), ogcIgnorePrefer: true)) { client, origin, _ in
            let backend = ogcBasic(client, origin)
            let id = try await backend.submit(ogcJob, idempotencyKey: "sync")
            let status = try await backend.status(of: id).status
            #expect(status == .finished)
            let names = try await backend.results(of: id).map(\.name)
            #expect(names == ["result", "summary"])
        }
    }

    @Test func failedAndDismissed() async throws {
        try await withSimulator(.init(duration: .fixed(0.05), failureRate: 1)) { client, origin, _ in
            let backend = ogcBasic(client, origin)
            let id = try await backend.submit(ogcJob, idempotencyKey: "failing")
            let (final, _) = try await follow(backend, id)
            #expect(final.status == .failed)
            #expect(final.message?.contains("Simulated failure") ?? false)
        }
        try await withSimulator(.init(duration: .fixed(30))) { client, origin, _ in
            let backend = ogcBasic(client, origin)
            let id = try await backend.submit(ogcJob, idempotencyKey: "dismiss")
            try await backend.cancel(id)
            let status = try await backend.status(of: id)
            #expect(status.status == .canceled)
            #expect(status.rawStatus == "dismissed")
        }
    }

    @Test func lostSubmitResponseIsFoundByTitle() async throws {
        try await withSimulator { client, origin, simulator in
            let backend = ogcBasic(client, origin)
            simulator.inject(SimulatedFault(.resetAfter, method: "POST", pathSuffix: "/execution"))
            let id = try await backend.submit(ogcJob, idempotencyKey: "ogc-lost")
            #expect(simulator.stats().jobsPerKey["ogc-lost"] == 1)
            #expect(id.hasPrefix("ogc-"))
        }
    }

    @Test func unknownProcessIsRejectedWithTheProblemDetail() async throws {
        try await withSimulator { client, origin, _ in
            let backend = ogcBasic(client, origin)
            do {
                _ = try await backend.submit(BackendJob(process: .named(id: "nope", namespace: nil)), idempotencyKey: "x")
                Issue.record("expected rejection")
            } catch BackendError.notFound(let message) {
                #expect(message.contains("Process nope does not exist"), "\(message)")
            }
        }
    }

    @Test func concurrencyLimitIsTryLater() async throws {
        try await withSimulator(.init(duration: .fixed(30), concurrencyLimit: 1)) { client, origin, _ in
            let transport = BackendTransport(
                client: client,
                policy: RequestRetryPolicy(maxAttempts: 1),
                authenticator: StaticAuthenticator.basic(username: "tilefleet", password: Secret("tilefleet"))
            )
            let backend = OGCProcessesBackend(name: "ogc", baseURL: origin + "/ogc", transport: transport)
            _ = try await backend.submit(ogcJob, idempotencyKey: "a")
            do {
                _ = try await backend.submit(ogcJob, idempotencyKey: "b")
                Issue.record("expected tryLater")
            } catch BackendError.tryLater(let retryAfter, let message, _) {
                #expect(retryAfter == .seconds(5))
                #expect(message.contains("too-many-jobs"), "\(message)")
            }
        }
    }
}
