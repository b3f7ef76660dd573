@testable import Backends
import FleetModel
import Foundation
import Testing

/// EOCanvas (WEkEO serverless) shapes without a server: the execute body, paginated results and
/// logs, token URLs.
@Suite("EOCanvas shapes") struct EOCanvasShapeTests {
    @Test func snapExecuteBodyEncodesTheGraphWithTheTilePolygon() throws {
        let job = BackendJob(process: .named(id: "snap-function", namespace: nil), arguments: [
            "snap_graph": .string("<graph><node><parameters><geoRegion>$polygon</geoRegion></parameters></node></graph>"),
            "eo_input": .array([.object(["img1": .string("https://hda.example/product.zip")])]),
            "eo_config": .object(["img1": .object(["uncompress": .bool(false), "subPath": .string("")])]),
            "polygon": .string("POLYGON ((310000 5540000, 310000 5550000, 300000 5550000, 300000 5540000, 310000 5540000))"),
        ])
        let body = try EOCanvasBackend.executeBody(for: job, processID: "snap-function")
        let graph = try #require(body["inputs"]?["snap_graph"]?.stringValue.flatMap { Data(base64Encoded: $0) })
        #expect(String(decoding: graph, as: UTF8.self).contains("<geoRegion>POLYGON ((310000 5540000"))
        #expect(body["inputs"]?["eo_input"]?.stringValue == #"[{"img1":"https://hda.example/product.zip"}]"#)
        #expect(body["inputs"]?["eo_config"]?.stringValue == #"[{"img1":{"subPath":"","uncompress":false}}]"#)
        #expect(throws: (any Error).self) {
            try EOCanvasBackend.executeBody(for: BackendJob(process: .named(id: "dataTailor", namespace: nil)), processID: "dataTailor")
        }
    }

    @Test func paginatedResultsAndLogs() throws {
        let first = Data(#"[{"href":"/serverless/download/a.nc","title":"out/a.nc","rel":"result"},{"href":"/serverless/jobs/1/results?page=2","title":"next-page","rel":"next"}]"#.utf8)
        let page1 = try EOCanvasBackend.parseResultPage(first, origin: "https://gateway.example")
        #expect(page1.assets.map(\.name) == ["a.nc"])
        #expect(page1.assets.first?.href == "https://gateway.example/serverless/download/a.nc")
        #expect(page1.next == "https://gateway.example/serverless/jobs/1/results?page=2")
        let last = Data(#"[{"href":"/serverless/download/b.nc","title":"out/b.nc"},{"href":"/serverless/jobs/1/results?page=1","title":"prev-page"}]"#.utf8)
        let page2 = try EOCanvasBackend.parseResultPage(last, origin: "https://gateway.example")
        #expect(page2.assets.map(\.name) == ["b.nc"])
        #expect(page2.next == nil)
        let logs = try EOCanvasBackend.parseLogs(Data(#"[{"timestamp":"2025-04-01T16:49:53.798265123+00:00","message":"Starting Workflow Executor"}]"#.utf8))
        #expect(logs == [BackendLogEntry(message: "Starting Workflow Executor", time: "2025-04-01T16:49:53.798265123+00:00")])
    }

    /// The log lines of the EOCanvas notebook (003): the workflow executor's logfmt, whose level
    /// decides which lines are a failed job's error text.
    @Test func logfmtLinesOfTheNotebookCarryTheirLevel() throws {
        let body = Data(#"""
            [{"timestamp": "2025-04-01T16:49:53.798265+00:00", "message": "time=\"2025-04-01T16:49:53.796Z\" level=info msg=\"Starting Workflow Executor\" version=v3.5.7"},
             {"timestamp": "2025-04-01T16:49:53.801704+00:00", "message": "time=\"2025-04-01T16:49:53.801Z\" level=info msg=\"Using executor retry strategy\" Duration=1s Factor=1.6 Jitter=0.5 Steps=5"},
             {"timestamp": "2025-04-01T17:00:04.000000+00:00", "message": "time=\"2025-04-01T17:00:04.000Z\" level=error msg=\"gpt failed: \\\"Subset\\\" found no pixels\""},
             {"timestamp": "2025-04-01T17:00:04.100000+00:00", "message": "plain text"}]
            """#.utf8)
        let logs = try EOCanvasBackend.parseLogs(body)
        #expect(logs.map(\.level) == ["info", "info", "error", nil])
        #expect(logs[0].message == "Starting Workflow Executor (version=v3.5.7)")
        #expect(logs[1].message == "Using executor retry strategy (Duration=1s Factor=1.6 Jitter=0.5 Steps=5)")
        #expect(logs[2].message == #"gpt failed: "Subset" found no pixels"#)
        #expect(logs[3].message == "plain text")
        #expect(logs[0].time == "2025-04-01T16:49:53.798265+00:00")
    }

    @Test("token and refresh URLs derived from the gateway") func tokenURLs() {
        #expect(EOCanvasAuthenticator.defaultTokenURL(for: "https://gateway.prod.wekeo2.eu/serverless") == "https://gateway.prod.wekeo2.eu/hda-broker/gettoken")
        #expect(EOCanvasAuthenticator.refreshURL(for: "https://g.example/hda-broker/gettoken") == "https://g.example/hda-broker/refreshtoken")
    }
}
