import Backends
import FleetModel
import Foundation
import HTTP
import Simulator
import Testing

/// OGC API – Processes Part 2 against the simulator: every answer of deploy, replace and undeploy
/// (201, 409 with the same and with another package, 403 for an immutable process, 204, 404), and
/// a deployed process that then runs jobs.
@Suite struct OGCDeployTests {
    static func package(_ id: String, image: String = "docker://otbtf/4.1.0-cpu") -> ProcessPackage {
        let body = #"{"processDescription": {"id": "\#(id)", "title": "Band ratio", "version": "1.0.0", "inputs": {}, "outputs": {}}, "executionUnit": {"type": "SLURM", "image": "\#(image)"}}"#
        return ProcessPackage(processID: id, contentType: "application/ogcapppkg+json", body: body, source: "\(id).json")
    }

    @Test func aNewPackageIsDeployedAndThenRunsJobs() async throws {
        try await withSimulator { client, origin, simulator in
            let backend = ogcBasic(client, origin)
            #expect(try await backend.deploy(Self.package("bandratio")) == .deployed)
            #expect(simulator.deployedProcesses.answers == ["POST bandratio 201"])
            let stored = try #require(try await backend.package(of: "bandratio"))
            #expect(Self.package("bandratio").isSame(as: stored))
            let description = try await backend.describe(.named(id: "bandratio", namespace: nil))
            #expect(description != nil)
            let id = try await backend.submit(BackendJob(process: .named(id: "bandratio", namespace: nil), arguments: ["tile": .string("t1")]),
                                              idempotencyKey: "deployed-1")
            let (final, _) = try await follow(backend, id)
            #expect(final.status == .finished)
        }
    }

    @Test func theSamePackageAgainIsAConflictThatCountsAsDone() async throws {
        try await withSimulator { client, origin, simulator in
            let backend = ogcBasic(client, origin)
            _ = try await backend.deploy(Self.package("bandratio"))
            // Key order and spacing do not make another package.
            var reordered = Self.package("bandratio")
            reordered.body = #"{"executionUnit":{"image":"docker://otbtf/4.1.0-cpu","type":"SLURM"},"processDescription":{"version":"1.0.0","title":"Band ratio","outputs":{},"inputs":{},"id":"bandratio"}}"#
            #expect(try await backend.deploy(reordered) == .unchanged)
            #expect(simulator.deployedProcesses.answers == ["POST bandratio 201", "POST bandratio 409"])
        }
    }

    @Test func aChangedPackageReplacesTheDeployedOne() async throws {
        try await withSimulator { client, origin, simulator in
            let backend = ogcBasic(client, origin)
            _ = try await backend.deploy(Self.package("bandratio"))
            let changed = Self.package("bandratio", image: "docker://otbtf/4.2.0-cpu")
            #expect(try await backend.deploy(changed) == .replaced)
            #expect(simulator.deployedProcesses.answers == ["POST bandratio 201", "POST bandratio 409", "PUT bandratio 204"])
            let stored = try #require(try await backend.package(of: "bandratio"))
            #expect(changed.isSame(as: stored))
            #expect(!Self.package("bandratio").isSame(as: stored))
        }
    }

    @Test func anImmutableProcessIsAClearError() async throws {
        try await withSimulator { client, origin, simulator in
            let backend = ogcBasic(client, origin)
            // The simulator's built-in processes exist (409) and may not be replaced (403).
            await #expect {
                try await backend.deploy(Self.package("echo"))
            } throws: { error in
                guard case BackendError.rejected(403, let message) = error else { return false }
                return message.hasPrefix("the process 'echo' is immutable on this server") && message.contains("PUT ")
            }
            #expect(simulator.deployedProcesses.answers == ["POST echo 409", "PUT echo 403"])
            await #expect {
                try await backend.undeploy(processID: "echo")
            } throws: { error in
                guard case BackendError.rejected(403, let message) = error else { return false }
                return message.contains("immutable") && message.contains("DELETE ")
            }
        }
    }

    @Test func undeployRemovesItAndASecondUndeployIsNotFound() async throws {
        try await withSimulator { client, origin, simulator in
            let backend = ogcBasic(client, origin)
            _ = try await backend.deploy(Self.package("bandratio"))
            try await backend.undeploy(processID: "bandratio")
            #expect(simulator.deployedProcesses.ids.isEmpty)
            #expect(try await backend.package(of: "bandratio") == nil)
            await #expect {
                try await backend.undeploy(processID: "bandratio")
            } throws: { error in
                if case BackendError.notFound = error { return true }
                return false
            }
            #expect(simulator.deployedProcesses.answers == ["POST bandratio 201", "DELETE bandratio 204", "DELETE bandratio 404"])
        }
    }

    @Test func aCWLPackageIsNamedByTheWParameter() async throws {
        try await withSimulator { client, origin, simulator in
            let backend = ogcBasic(client, origin)
            let cwl = ProcessPackage(processID: "snuggs", contentType: "application/cwl+yaml",
                                     body: "cwlVersion: v1.0\n$graph:\n  - class: Workflow\n    id: snuggs\n", source: "snuggs.cwl")
            #expect(try await backend.deploy(cwl) == .deployed)
            let stored = try #require(simulator.deployedProcesses.process("snuggs"))
            #expect(stored.contentType == "application/cwl+yaml")
            #expect(String(decoding: stored.package, as: UTF8.self) == cwl.body)
            #expect(try await backend.deploy(cwl) == .unchanged)
        }
    }

    @Test func theSimulatorRefusesWhatIsNoPackage() async throws {
        try await withSimulator { client, origin, _ in
            var request = HTTPClient.Request(origin + "/ogc/processes", method: .post,
                                             headers: ["Content-Type": "application/json", "Authorization": "Basic dGlsZWZsZWV0OnRpbGVmbGVldA=="],
                                             body: Data("{}".utf8))
            let notAPackage = try await client.execute(request).status
            #expect(notAPackage == 415)
            request.headers.replaceOrAdd(name: "Content-Type", value: "application/ogcapppkg+json")
            let noExecutionUnit = try await client.execute(request).status
            #expect(noExecutionUnit == 400)
            request.headers.remove(name: "Authorization")
            let anonymous = try await client.execute(request).status
            #expect(anonymous == 401)
        }
    }
}
