import Backends
import FleetConfig
import FleetModel
import HTTP
import Simulator
import Testing
import TestSupport
@testable import Worker

/// Lookups waiting at once share listings of the account's jobs (openEO against the simulator).
@Suite struct LookupBatcherTests {
    @Test func fortyConcurrentLookupsCostAtMostThreeListings() async throws {
        let simulator = PlatformSimulator(configuration: SimulatorConfiguration(duration: .fixed(60), requireAuth: false))
        let server = SimulatorServer { simulator.register(on: $0) }
        let port = try await server.start()
        do {
            let backend = OpenEOBackend(name: "sim", baseURL: "http://127.0.0.1:\(port)/openeo",
                                        transport: BackendTransport(client: HTTPClient(), policy: RequestRetryPolicy()))
            var ids: [String: String] = [:]
            for index in 0..<20 {
                let key = "tilefleet:t:tile-\(index):1"
                ids[key] = try await backend.submit(BackendJob(process: .named(id: "ndvi", namespace: nil)), idempotencyKey: key)
            }
            let batcher = LookupBatcher(backend: backend)
            let before = simulator.stats().requests
            let found = try await withThrowingTaskGroup(of: (String, String?).self) { group in
                for index in 0..<40 {
                    let key = "tilefleet:t:tile-\(index):1"
                    group.addTask { (key, try await batcher.find(idempotencyKey: key)) }
                }
                var found: [String: String?] = [:]
                for try await (key, id) in group { found[key] = id }
                return found
            }
            #expect(found.count == 40)
            #expect(found.compactMapValues { $0 } == ids, "every existing key finds its job, the others none")
            let listings = simulator.stats().requests - before
            #expect(listings >= 1 && listings <= 3, "\(listings) listings for 40 lookups")
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
