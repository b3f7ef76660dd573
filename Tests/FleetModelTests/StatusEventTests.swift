import FleetModel
import Foundation
import Testing

@Suite struct StatusEventTests {
    @Test func roundTripsThroughItsWireForm() throws {
        let event = StatusEvent(task: "t1", tile: "32633-E580-N5320", attempt: 2, status: .finished, rawStatus: "finished",
                                backend: "openeo", backendJobID: "j-42", progress: 1, message: "done",
                                assets: [.init(href: "https://x/a.tif", type: "image/tiff", roles: ["data"], size: 12)],
                                worker: "host:1", time: Date(timeIntervalSince1970: 1_780_000_000.25))
        let decoded = try StatusEvent.decode(event.encoded())
        #expect(decoded == event)
        let json = String(decoding: event.encoded(), as: UTF8.self)
        #expect(json.contains("\"schema\":\"tilefleet.status-event/1\""))
        #expect(json.contains("\"backend_job_id\":\"j-42\""))
        #expect(event.routingKey == "t1.32633-E580-N5320.finished")
    }

    @Test(arguments: [
        ("[1,2]", "not a JSON object"),
        ("{\"task\":\"t\"}", "missing field 'schema'"),
        ("{\"schema\":\"tilefleet.status-event/9\"}", "unsupported schema 'tilefleet.status-event/9'"),
        ("{\"schema\":\"tilefleet.status-event/1\",\"id\":\"6E3C8A1E-7B1B-4F5A-9C2D-1A2B3C4D5E6F\",\"task\":\"t\",\"tile\":\"x\",\"attempt\":1,\"time\":\"2026-01-01T00:00:00Z\"}", "missing field 'status'"),
        ("{\"schema\":\"tilefleet.status-event/1\",\"id\":\"6E3C8A1E-7B1B-4F5A-9C2D-1A2B3C4D5E6F\",\"task\":\"t\",\"tile\":\"x\",\"attempt\":0,\"status\":\"running\",\"time\":\"2026-01-01T00:00:00Z\"}", "field 'attempt' must be ≥ 1"),
        ("{\"schema\":\"tilefleet.status-event/1\",\"id\":\"6E3C8A1E-7B1B-4F5A-9C2D-1A2B3C4D5E6F\",\"task\":\"t\",\"tile\":\"x\",\"attempt\":1,\"status\":\"exploded\",\"time\":\"2026-01-01T00:00:00Z\"}", "field 'status'"),
        ("{\"schema\":\"tilefleet.status-event/1\",\"id\":\"6E3C8A1E-7B1B-4F5A-9C2D-1A2B3C4D5E6F\",\"task\":\"t\",\"tile\":\"x\",\"attempt\":1,\"status\":\"running\",\"time\":\"yesterday\"}", "field 'time'"),
    ])
    func malformedEventsAreRejectedWithAReason(body: String, reason: String) {
        #expect {
            _ = try StatusEvent.decode(Array(body.utf8))
        } throws: { error in
            (error as? MessageRejection)?.reason.contains(reason) == true
        }
    }

    @Test func positionsOrderAttemptsBeforeStatuses() {
        #expect(EventStatus.retrying.tilePosition(attempt: 1) == TilePosition(attempt: 2, status: .queued))
        #expect(TilePosition(attempt: 1, status: .finished) < TilePosition(attempt: 2, status: .queued))
        #expect(TilePosition(attempt: 1, status: .running) < TilePosition(attempt: 1, status: .failed))
        #expect(TileStatus.allCases.filter(\.isTerminal) == [.finished, .failed, .canceled])
    }
}
