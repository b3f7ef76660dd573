import Backends
import FleetConfig
import FleetModel
import Foundation
import HTTP
import TestSupport
import Testing

/// The OGC API – Processes adapter's contract against pygeoapi (a real server from PyPI, no
/// plug-in): its `hello-world` process run as asynchronous jobs.
@Suite("OGC API – Processes contract: pygeoapi") struct PygeoapiContractTests {
    static func backend(_ server: RealServer, _ client: HTTPClient) throws -> any Backend {
        let configuration = BackendConfiguration(
            name: "pygeoapi", kind: .ogc, url: server.apiRoot,
            retry: RequestRetryPolicy(maxAttempts: 2, initialDelay: .milliseconds(10), maxDelay: .milliseconds(50))
        )
        return try configuration.makeBackend(client: client, environment: [:])
    }

    static func job(name: String) -> BackendJob {
        BackendJob(process: .named(id: "hello-world", namespace: nil), arguments: ["name": .string(name)], title: "contract · \(name)")
    }

    @Test func submitStatusResultsFindAndDismiss() async throws {
        try await withRealServer(.pygeoapi, port: 18085) { server, client in
            let backend = try Self.backend(server, client)
            let id = try await backend.submit(Self.job(name: "tilefleet"), idempotencyKey: "contract-ogc-1")
            #expect(!id.hasPrefix("sync:"), "pygeoapi honours Prefer: respond-async")

            var status = try await backend.status(of: id)
            let final = try await eventually(timeout: .seconds(60), every: .milliseconds(100)) {
                status = try await backend.status(of: id)
                return status.status.isFinal
            }
            #expect(final)
            #expect(status.status == .finished)
            #expect(status.rawStatus == "successful")

            let assets = try await backend.results(of: id)
            #expect(!assets.isEmpty)
            let inline = assets.compactMap { asset -> String? in
                guard asset.href.hasPrefix("data:"), let comma = asset.href.firstIndex(of: ",") else { return nil }
                return Data(base64Encoded: String(asset.href[asset.href.index(after: comma)...])).map { String(decoding: $0, as: UTF8.self) }
            }
            #expect(inline.contains { $0.contains("Hello tilefleet") }, "\(assets)")

            // pygeoapi keeps no job title: a job cannot be found by its key, so a lost submit answer
            // is ambiguous rather than resubmitted (docs/backends.md).
            let found = try await backend.find(idempotencyKey: "contract-ogc-1")
            #expect(found == nil)

            try await backend.cancel(id)
            do {
                _ = try await backend.status(of: id)
                Issue.record("a dismissed job should be gone")
            } catch BackendError.notFound {}
        }
    }

    @Test func unknownProcessAndMissingInputAreRejectedWithTheServersText() async throws {
        try await withRealServer(.pygeoapi, port: 18086) { server, client in
            let backend = try Self.backend(server, client)
            do {
                _ = try await backend.submit(BackendJob(process: .named(id: "no-such-process", namespace: nil)), idempotencyKey: "x")
                Issue.record("expected notFound")
            } catch BackendError.notFound(let message) {
                #expect(!message.isEmpty)
            }
            do {
                _ = try await backend.status(of: "00000000-0000-0000-0000-000000000000")
                Issue.record("expected notFound")
            } catch BackendError.notFound(let message) {
                #expect(!message.contains("<html"), "\(message)")
            }
        }
    }

    @Test func inspectionRootAndDeclaredInputs() async throws {
        try await withRealServer(.pygeoapi, port: 18088) { server, client in
            let backend = try #require(try Self.backend(server, client) as? any BackendInspection)
            guard case .ok = await backend.checkRoot() else {
                Issue.record("the landing page was not recognised")
                return
            }
            let description = try #require(try await backend.describe(.named(id: "hello-world", namespace: nil)))
            #expect(description.parameter(named: "name")?.required == true)
            #expect(description.parameter(named: "message")?.required == false)
            #expect(description.parameter(named: "name")?.acceptedTileInputs == [])
            do {
                _ = try await backend.describe(.named(id: "hello-wrld", namespace: nil))
                Issue.record("expected notFound")
            } catch BackendError.notFound(let message) {
                #expect(message.contains("did you mean 'hello-world'?"), "\(message)")
            }

            let processes = BackendConfiguration(name: "pygeoapi", kind: .ogc, url: server.apiRoot + "/processes")
            let wrong = try #require(try processes.makeBackend(client: client, environment: [:]) as? any BackendInspection)
            guard case .wrong(_, let suggested) = await wrong.checkRoot() else {
                Issue.record("a /processes URL passed as the root")
                return
            }
            #expect(suggested == server.apiRoot)
        }
    }
}
