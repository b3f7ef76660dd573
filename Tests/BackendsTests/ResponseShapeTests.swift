@testable import Backends
import FleetModel
import Foundation
import HTTP
import TestSupport
import Testing

/// Request and response shapes from the openEO API and OGC API – Processes specifications' examples.
@Suite struct ResponseShapeTests {
    @Test func openEOCreateBodyCallsTheUDPByNamespace() throws {
        let body = OpenEOBackend.createBody(for: udpJob, idempotencyKey: "task-7.tile-3.a1")
        #expect(body["title"]?.stringValue == "PV farms [tilefleet:task-7.tile-3.a1]")
        #expect(body["job_options"]?["executor-memory"]?.stringValue == "2g")
        let graph = try #require(body["process"]?["process_graph"])
        let node = try #require(graph["eurac_pv_farm_detection1"])
        #expect(node["process_id"]?.stringValue == "eurac_pv_farm_detection")
        #expect(node["namespace"]?.stringValue == "https://example.org/udp/eurac_pv_farm_detection.json")
        #expect(node["arguments"]?["temporal_extent"] == .array([.string("2023-05-01"), .string("2023-09-30")]))
        #expect(graph["saveresult1"]?["arguments"]?["format"]?.stringValue == "GTiff")
        #expect(graph["saveresult1"]?["arguments"]?["data"]?["from_node"]?.stringValue == "eurac_pv_farm_detection1")
        #expect(graph["saveresult1"]?["result"] == .bool(true))
    }

    @Test func openEOProcessGraphArgumentsReplaceParameters() {
        let graph: [String: JSONValue] = [
            "load": .object(["process_id": .string("load_collection"), "arguments": .object([
                "id": .string("SENTINEL2_L2A"),
                "spatial_extent": .object(["from_parameter": .string("spatial_extent")]),
                "bands": .object(["from_parameter": .string("bands")]),
            ])]),
        ]
        let job = BackendJob(process: .processGraph(graph), arguments: ["spatial_extent": .string("tile")])
        let result = OpenEOBackend.processGraph(for: job)
        #expect(result["load"]?["arguments"]?["spatial_extent"] == .string("tile"))
        #expect(result["load"]?["arguments"]?["bands"] == .object(["from_parameter": .string("bands")]))
    }

    @Test func openEOJobIDFromHeaders() throws {
        let byHeader = HTTPClient.Response(status: 201, headers: ["OpenEO-Identifier": "a3cca2b2aa1e3b5"], effectiveURL: "https://x/jobs")
        #expect(try OpenEOBackend.jobID(from: byHeader) == "a3cca2b2aa1e3b5")
        let byLocation = HTTPClient.Response(status: 201, headers: ["Location": "https://openeo.example/api/v1/jobs/abc123"], effectiveURL: "https://x/jobs")
        #expect(try OpenEOBackend.jobID(from: byLocation) == "abc123")
        #expect(throws: (any Error).self) { try OpenEOBackend.jobID(from: HTTPClient.Response(status: 201, effectiveURL: "https://x/jobs")) }
    }

    @Test func openEOStatusCarriesCostsAndUsageAsReportedAndScreened() throws {
        // The spec's example job, finished: costs and usage as `GET /jobs/{id}` gives them.
        let job = Data(#"""
            {"id":"a3cca2b2aa1e3b5","status":"finished","progress":100,"costs":12.98,
             "usage":{"cpu":{"value":40668,"unit":"cpu-seconds"},"duration":{"value":2611,"unit":"seconds"},
                      "memory":{"value":108138811,"unit":"mb-seconds"},"network":{"value":0,"unit":"kb"},"storage":{"value":55,"unit":"mb"}}}
            """#.utf8)
        let status = try OpenEOBackend.parseStatus(job)
        #expect(status.costs == 12.98)
        #expect(status.usage?["cpu"] == UsageQuantity(value: 40668, unit: "cpu-seconds"))
        #expect(status.usage?.count == 5)
        // Garbage is dropped, not trusted: negative costs, entries without a numeric value, oversize names.
        let hostile = Data(#"""
            {"id":"x","status":"running","costs":-4,
             "usage":{"cpu":{"value":"lots"},"memory":7,"\#(String(repeating: "n", count: 65))":{"value":1},
                      "duration":{"value":3,"unit":"\#(String(repeating: "s", count: 100))"}}}
            """#.utf8)
        let screened = try OpenEOBackend.parseStatus(hostile)
        #expect(screened.costs == nil)
        #expect(screened.usage == ["duration": UsageQuantity(value: 3, unit: String(repeating: "s", count: MessageLimits.usageName))])
        let many = "{" + (0..<40).map { "\"m\($0)\":{\"value\":\($0)}" }.joined(separator: ",") + "}"
        let crowded = try OpenEOBackend.parseStatus(Data("{\"id\":\"x\",\"status\":\"running\",\"usage\":\(many)}".utf8))
        #expect(crowded.usage?.count == MessageLimits.usageEntries)
    }

    @Test func openEOStatusAndSTACResultsFromSpecExample() throws {
        let job = Data(#"{"id":"a3cca2b2aa1e3b5","title":"NDVI based on Sentinel 2","status":"running","progress":75.5,"created":"2017-01-01T09:32:12Z"}"#.utf8)
        #expect(try OpenEOBackend.parseStatus(job) == BackendJobStatus(status: .running, rawStatus: "running", progress: 75.5))
        #expect(throws: (any Error).self) { try OpenEOBackend.parseStatus(Data(#"{"id":"x","status":"paused"}"#.utf8)) }
        let stac = Data(#"""
            {"stac_version":"1.0.0","id":"a3cca2b2aa1e3b5","type":"Feature","geometry":null,"properties":{"datetime":"2019-08-24T14:15:22Z"},
             "assets":{"preview.png":{"href":"https://example.openeo.org/api/v1/download/583fba8b2ce583fba8b2ce/preview.png","type":"image/png","title":"Thumbnail","roles":["thumbnail"]},
                       "process.json":{"href":"process.json","type":"application/json","roles":["process"]},
                       "1.tif":{"href":"https://example.openeo.org/api/v1/download/583fba8b2ce583fba8b2ce/1.tif","type":"image/tiff; application=geotiff","roles":["data"],"file:size":2048}},
             "links":[]}
            """#.utf8)
        let assets = try OpenEOBackend.parseAssets(stac, baseURL: "https://example.openeo.org/api/v1/jobs/a3cca2b2aa1e3b5/results")
        #expect(assets.map(\.name) == ["1.tif", "preview.png", "process.json"])
        #expect(assets[0].size == 2048)
        #expect(assets[2].href == "https://example.openeo.org/api/v1/jobs/a3cca2b2aa1e3b5/process.json")
        #expect(assets[1].title == "Thumbnail")
    }

    @Test func openEOLogsFromSpecExample() throws {
        let logs = Data(#"{"logs":[{"id":"1","code":"SampleError","level":"error","message":"Can't divide by zero at coordinate X=13.78, Y=40.61.","time":"2019-08-24T14:15:22Z"}],"links":[{"href":"https://example.openeo.org/api/v1/jobs/123/logs?offset=1","rel":"next"}]}"#.utf8)
        let page = try OpenEOBackend.parseLogs(logs)
        #expect(page.entries.first?.level == "error")
        #expect(page.next == "https://example.openeo.org/api/v1/jobs/123/logs?offset=1")
    }

    @Test func ogcExecuteBodyAndStatusInfo() throws {
        var job = ogcJob
        job.subscriber = .init(successUri: "https://cb.example/success", failedUri: "https://cb.example/failed")
        job.options = ["outputs": .object(["out": .object(["transmissionMode": .string("reference")])])]
        let body = OGCProcessesBackend.executeBody(for: job, idempotencyKey: "k1")
        #expect(body["inputs"]?["tile"]?.stringValue == "31UFS")
        #expect(body["response"]?.stringValue == "document")
        #expect(body["subscriber"]?["successUri"]?.stringValue == "https://cb.example/success")
        #expect(body["subscriber"]?["inProgressUri"] == nil)
        #expect(body["outputs"]?["out"]?["transmissionMode"]?.stringValue == "reference")
        #expect(body["title"]?.stringValue == "ndvi 31UFS [tilefleet:k1]")

        let info = Data(#"{"jobID":"81574318-1eb1-4d7c-af61-4b3fbcf33c4f","status":"dismissed","message":"Job dismissed","progress":100,"links":[]}"#.utf8)
        #expect(try OGCProcessesBackend.parseStatus(info) == BackendJobStatus(status: .canceled, rawStatus: "dismissed", progress: 100, message: "Job dismissed"))
    }

    @Test func ogcResultsDocumentAndRaw() throws {
        let document = Data(#"{"out":{"href":"http://geolabs.fr/dl/out.png","type":"image/png"},"count":{"value":42}}"#.utf8)
        let assets = try OGCProcessesBackend.parseResults(document, contentType: "application/json", url: "https://x/jobs/1/results")
        #expect(assets.map(\.name) == ["count", "out"])
        #expect(assets[1].href == "http://geolabs.fr/dl/out.png")
        #expect(assets[0].href == "data:application/json;base64," + Data("42".utf8).base64EncodedString())
        let raw = try OGCProcessesBackend.parseResults(Data([0x89, 0x50]), contentType: "image/png", url: "https://x/jobs/1/results")
        #expect(raw == [BackendAsset(name: "result", href: "https://x/jobs/1/results", mediaType: "image/png", roles: ["data"], size: 2)])
    }

    /// pygeoapi answers `{"outputs": [{"id": …, "value": …}]}`; others nest an object under `outputs`.
    @Test func ogcResultsInArrayAndNestedObjectFormsGiveOneAssetPerOutput() throws {
        let array = Data(#"{"outputs":[{"id":"echo","value":"Hello Ada!","mediaType":"text/plain"},{"id":"grid","href":"/dl/grid.tif","type":"image/tiff"},{"value":{"n":1}}]}"#.utf8)
        let fromArray = try OGCProcessesBackend.parseResults(array, contentType: "application/json", url: "https://x/api/jobs/1/results")
        #expect(fromArray.map(\.name) == ["echo", "grid", "output-3"])
        #expect(fromArray[0].href == "data:text/plain;base64," + Data("Hello Ada!".utf8).base64EncodedString())
        #expect(fromArray[0].mediaType == "text/plain")
        #expect(fromArray[1].href == "https://x/dl/grid.tif")
        #expect(fromArray[1].mediaType == "image/tiff")
        #expect(fromArray[2].href == "data:application/json;base64," + Data(#"{"n":1}"#.utf8).base64EncodedString())
        let nested = Data(#"{"outputs":{"b":{"href":"https://x/b.tif"},"a":{"value":"text"}},"links":[]}"#.utf8)
        let fromObject = try OGCProcessesBackend.parseResults(nested, contentType: "application/json", url: "https://x/jobs/1/results")
        #expect(fromObject.map(\.name) == ["a", "b"])
        #expect(fromObject[0].href == "data:text/plain;base64," + Data("text".utf8).base64EncodedString())
        // pygeoapi 0.21.0, as recorded: a job's results, and the answer of a synchronous execution.
        let pygeoapiJob = Data(#"{"outputs":[{"id":"echo","value":"Hello Ada!"}]}"#.utf8)
        #expect(try OGCProcessesBackend.parseResults(pygeoapiJob, contentType: "application/json", url: "https://x/jobs/1/results")
            == [BackendAsset(name: "echo", href: "data:text/plain;base64," + Data("Hello Ada!".utf8).base64EncodedString(), mediaType: "text/plain",
                             roles: ["data", "inline"], size: 10)])
        let pygeoapiSync = Data(#"{"id":"echo","value":"Hello Bo!"}"#.utf8)
        #expect(try OGCProcessesBackend.parseResults(pygeoapiSync, contentType: "application/json", url: "https://x/jobs/1/results").map(\.name) == ["echo"])
        let geoJSON = Data(#"{"area":{"type":"FeatureCollection","features":[]}}"#.utf8)
        let inline = try OGCProcessesBackend.parseResults(geoJSON, contentType: "application/json", url: "https://x/jobs/1/results")
        #expect(inline.first?.mediaType == "application/json", "a GeoJSON value's own `type` is not a media type")
    }

    @Test func assetsWithOtherSchemesAreReplacedByANoteWhenTheyArrive() throws {
        let stac = Data(#"{"assets":{"a.tif":{"href":"https://x/a.tif"},"evil":{"href":"file:///etc/passwd","roles":["data"]},"js":{"href":"javascript:alert(1)"}}}"#.utf8)
        let assets = try OpenEOBackend.parseAssets(stac, baseURL: "https://x/jobs/1/results")
        #expect(assets.map(\.name) == ["a.tif", "evil", "js"])
        #expect(assets[0].href == "https://x/a.tif")
        for rejected in assets.dropFirst() {
            #expect(rejected.roles == [AssetLink.rejectedRole])
            #expect(!rejected.href.contains("passwd") && !rejected.href.contains("alert"))
            #expect(rejected.href.hasPrefix("data:text/plain"))
        }
        #expect(assets[1].title == "asset 'evil' rejected: the scheme 'file' is not fetched (only http, https and data)")
        let ogc = try OGCProcessesBackend.parseResults(Data(#"{"out":{"href":"ftp://x/out.tif"}}"#.utf8), contentType: "application/json", url: "https://x/r")
        #expect(ogc.first?.roles == [AssetLink.rejectedRole])
        let canvas = try EOCanvasBackend.parseResultPage(Data(#"[{"href":"keystore://bucket/a.nc","title":"keystore/a.nc"}]"#.utf8), origin: "https://gw")
        #expect(canvas.assets.first?.roles == [AssetLink.rejectedRole])
    }

    @Test func ogcJobIDFromLocationAndSyncOutputs() throws {
        let created = HTTPClient.Response(status: 201, headers: ["Location": "https://x/ogc-api/jobs/42-b"], body: Data("null".utf8), effectiveURL: "https://x")
        #expect(try OGCProcessesBackend.jobID(from: created) == "42-b")
        let sync = HTTPClient.Response(status: 200, body: Data(#"{"out":{"href":"https://x/o.tif"}}"#.utf8), effectiveURL: "https://x")
        #expect(try OGCProcessesBackend.jobID(from: sync).hasPrefix("sync:"))
    }

    @Test func platformMessages() {
        func message(_ json: String, status: Int = 400) -> String { PlatformMessage.extract(from: Data(json.utf8), status: status) }
        #expect(message(#"{"id":"1","code":"ConcurrentJobLimit","message":"limit (2) reached"}"#) == "ConcurrentJobLimit: limit (2) reached")
        #expect(message(#"{"type":"http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/no-such-job","title":"No such job","detail":"job 7 not found"}"#)
            == "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/no-such-job: job 7 not found")
        #expect(message(#"{"code":"NoApplicableCode","description":"ZOO kernel failed"}"#) == "NoApplicableCode: ZOO kernel failed")
        #expect(message("<html>Bad Gateway</html>", status: 502) == #"HTTP 502: an HTML page reading "Bad Gateway""#)
        #expect(PlatformMessage.isTryLater("ConcurrentJobLimit: limit (2) reached"))
        // Only a limit on concurrent jobs is one that a job ending lifts (the worker parks the tile).
        #expect(BackendError.tryLater(retryAfter: nil, message: "ConcurrentJobLimit: limit (2) reached", jobID: "j").isConcurrencyLimit)
        #expect(BackendError.tryLater(retryAfter: nil, message: "TooManyJobs: 10 running", jobID: nil).isConcurrencyLimit)
        #expect(!BackendError.tryLater(retryAfter: nil, message: "TooManyRequests: slow down", jobID: "j").isConcurrencyLimit)
        #expect(!BackendError.tryLater(retryAfter: nil, message: "QuotaExceeded: no credits", jobID: nil).isConcurrencyLimit)
        #expect(!BackendError.rejected(status: 400, message: "ConcurrentJobLimit").isConcurrencyLimit)
    }

    @Test func anHTMLErrorPageIsToldByItsTitle() {
        let page = "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1><p>The requested URL was not found on the server.</p>"
        #expect(PlatformMessage.extract(from: Data(page.utf8), status: 404) == #"HTTP 404: an HTML page titled "404 Not Found""#)
        #expect(PlatformMessage.extract(from: Data("<html><body><h1>Bad <b>Gateway</b></h1></body></html>".utf8), status: 502) == #"HTTP 502: an HTML page titled "Bad Gateway""#)
        #expect(PlatformMessage.extract(from: Data("plain text".utf8), status: 500) == "plain text")
    }

    @Test func aFinalErrorNamesTheCallThatFailed() {
        let response = HTTPClient.Response(status: 404, body: Data(), effectiveURL: "http://h/jobs")
        let request = HTTPClient.Request("http://user:pw@h/jobs", method: .post)
        let error = BackendTransport.error(for: response, message: "NotFound: no such URL", call: BackendTransport.call(request))
        #expect(error == .notFound(message: "NotFound: no such URL (POST http://<redacted>@h/jobs)"))
    }

    @Test func declaredParametersOfAnOpenEOUDPAndAnOGCProcess() throws {
        let udp = try JSONDecoder().decode(JSONValue.self, from: Data("""
            {"id": "x", "parameters": [
              {"name": "spatial_extent", "schema": {"type": "object", "subtype": "bounding-box"}},
              {"name": "threshold", "schema": {"type": "number"}, "default": 3},
              {"name": "bands", "schema": {"type": "array"}, "optional": true}]}
            """.utf8))
        let parameters = OpenEOBackend.declaredParameters(udp)
        #expect(parameters.map(\.name) == ["spatial_extent", "threshold", "bands"])
        #expect(parameters.map(\.required) == [true, false, false])
        let process = try JSONDecoder().decode(JSONValue.self, from: Data("""
            {"id": "hello-world", "inputs": {"name": {"schema": {"type": "string"}, "minOccurs": 1},
                                             "message": {"schema": {"type": "string"}, "minOccurs": 0}}}
            """.utf8))
        let inputs = OGCProcessesBackend.declaredInputs(process)
        #expect(inputs.map(\.name) == ["message", "name"])
        #expect(inputs.map(\.required) == [false, true])
    }

    @Test func aTokenResponseThatIsNotJSONIsToldWithoutBeingEchoed() {
        do {
            _ = try OIDCTokenClient.parseToken(Data("<html><title>Sign in</title>secret-looking</html>".utf8), source: "GET /credentials/basic")
            Issue.record("accepted a page as a token")
        } catch {
            #expect("\(error)" == #"invalid response: the token response of GET /credentials/basic is not JSON (an HTML page titled "Sign in"): is the backend's url its API root?"#)
        }
        do {
            _ = try OIDCTokenClient.parseToken(Data(#"{"token": "abc"}"#.utf8), source: "x")
            Issue.record("accepted a token response without access_token")
        } catch {
            #expect("\(error)" == "invalid response: the token response of x has no access_token (members: token)")
        }
    }

    @Test func aJSONDocumentThatIsAnHTMLPageSaysSo() {
        #expect(throws: BackendError.invalidResponse(message: #"job is not JSON but an HTML page titled "Login""#)) {
            try OpenEOBackend.decode(Data("<!DOCTYPE html><html><head><title>Login</title></head></html>".utf8), what: "job")
        }
    }
}
