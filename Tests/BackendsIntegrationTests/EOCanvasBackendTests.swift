@testable import Backends
import FleetConfig
import FleetModel
import Foundation
import Geo
import HTTP
import Simulator
import Testing

/// The EOCanvas (WEkEO serverless) backend against the simulator; the request and response
/// shapes alone are in `BackendsTests.EOCanvasShapeTests`.
@Suite("EOCanvas backend") struct EOCanvasBackendTests {
    private func configuration(_ origin: String, policy: RequestRetryPolicy = testPolicy) throws -> BackendConfiguration {
        let yaml = """
            backends:
              - name: wekeo
                kind: eocanvas
                url: \(origin)/eocanvas/serverless
                auth: { method: eocanvas, username: tilefleet, password_env: WEKEO_PASSWORD }
            """
        var configuration = try BackendsConfiguration.parse(yaml: yaml).backend(named: "wekeo")
        configuration.retry = policy
        return configuration
    }

    private func backend(_ client: HTTPClient, _ origin: String, policy: RequestRetryPolicy = testPolicy) throws -> any Backend {
        try self.configuration(origin, policy: policy).makeBackend(client: client, environment: ["WEKEO_PASSWORD": "tilefleet"])
    }

    private var snapJob: BackendJob {
        BackendJob(process: .named(id: "snap-function", namespace: nil), arguments: [
            "snap_graph": .string("<graph><geoRegion>${polygon}</geoRegion></graph>"),
            "eo_input": .array([.object(["img1": .string("https://hda.example/p.zip")])]),
            "polygon": .string("POLYGON ((0 0, 1 0, 1 1, 0 0))"),
        ])
    }

    @Test func againstTheSimulatorWithPaginatedResultsAndTokenRefresh() async throws {
        try await withSimulator(.init(duration: .fixed(0.2))) { client, origin, simulator in
            let backend = try self.backend(client, origin)
            let id = try await backend.submit(self.snapJob, idempotencyKey: "eoc-1")
            simulator.expireTokens()
            let (final, seen) = try await follow(backend, id)
            #expect(final.status == .finished)
            #expect(seen.last == "successful")
            let assets = try await backend.results(of: id)
            #expect(assets.map(\.name) == ["result_1.nc", "result_2.nc", "manifest.json"])
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-eocanvas-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let downloader = try self.configuration(origin).makeAssetDownloader(client: client, environment: ["WEKEO_PASSWORD": "tilefleet"])
            let bytes = try await downloader.fetch(assets[0].href, into: try ConfinedDirectory(path: directory.path), path: ["result_1.nc"])
            #expect(bytes == Int64(simulator.configuration.assetSize), "downloaded with the backend's token")
            let logs = try await backend.logs(of: id)
            #expect(logs.first?.message == "Starting Workflow Executor (version=v3.5.7)")
            #expect(logs.first?.level == "info")
        }
    }

    /// A failed job's logs end with an error-level line (logfmt `level=error`), and its status says when it finished.
    @Test func aFailedJobsLogNamesTheErrorAtErrorLevel() async throws {
        try await withSimulator(.init(duration: .fixed(0.1), failureRate: 1)) { client, origin, _ in
            let backend = try self.backend(client, origin)
            let id = try await backend.submit(self.snapJob, idempotencyKey: "eoc-failed")
            let (final, _) = try await follow(backend, id)
            #expect(final.status == .failed)
            let logs = try await backend.logs(of: id)
            let last = try #require(logs.last)
            #expect(last.level == "error")
            #expect(last.message.hasPrefix("Simulated failure of job \(id)"))
        }
    }

    @Test func unavailableSubmitIsAmbiguousNeverResent() async throws {
        try await withSimulator { client, origin, simulator in
            let backend = try self.backend(client, origin)
            simulator.inject(SimulatedFault(.status, method: "POST", pathSuffix: "/execution", status: 503))
            do {
                _ = try await backend.submit(self.snapJob, idempotencyKey: "eoc-2")
                Issue.record("expected ambiguousSubmit")
            } catch BackendError.ambiguousSubmit(let message) {
                #expect(message.contains("cannot be searched"), "\(message)")
            }
            #expect(simulator.stats().jobsCreated == 0)
            simulator.inject(SimulatedFault(.throttle, method: "POST", pathSuffix: "/execution", retryAfter: 0))
            _ = try await backend.submit(self.snapJob, idempotencyKey: "eoc-3")
            #expect(simulator.stats().jobsCreated == 1, "a 429 is retried: it was not processed")
        }
    }
}
