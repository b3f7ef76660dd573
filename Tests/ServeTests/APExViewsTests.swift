import FleetConfig
import FleetModel
import Serve
import Storage
import Testing

@Suite struct APExViewsTests {
    static let views = APExViews(backends: [
        BackendConfiguration(name: "cdse", kind: .openEO, url: "https://openeo.example.org"),
        BackendConfiguration(name: "ogc", kind: .ogc, url: "https://ogc.example.org"),
    ])

    @Test func theLabelFollowsTheBackendsKind() {
        #expect(Self.views.label(backend: "cdse") == "openeo")
        #expect(Self.views.label(backend: "ogc") == "ogc_api_process")
        // A task over several backends (status's "ogc,cdse"): its first backend names the kind.
        #expect(Self.views.label(backend: "ogc,cdse") == "ogc_api_process")
    }

    @Test func resultsAreKeyedByThePlatformsNamesWithTheTitleForOlderAssets() {
        let result = TileResult(task: "t", tile: "a", cellID: nil, windowStart: nil, windowEnd: nil, geometry: nil, areaKm2: nil,
                                status: "finished", attempt: 1, backendJobID: "j", lastError: nil, dispatchedAt: nil, submittedAt: nil,
                                startedAt: nil, finishedAt: nil, assets: [
                                    TileResult.Asset(href: "https://x/1/openEO.tif", key: "openEO.tif", type: "image/tiff", roles: ["data"]),
                                    TileResult.Asset(href: "https://x/1/meta.json", title: "metadata"),
                                    TileResult.Asset(href: "https://x/1/b.tif", key: "openEO.tif"),
                                ])
        let item = Self.views.results(result, geometry: .null)
        #expect(item["id"]?.stringValue == "t~a")
        #expect(item["assets"]?["openEO.tif"]?["href"]?.stringValue == "https://x/1/openEO.tif")
        #expect(item["assets"]?["openEO.tif"]?["type"]?.stringValue == "image/tiff")
        #expect(item["assets"]?["metadata"]?["href"]?.stringValue == "https://x/1/meta.json")
        // A second asset with the same key is kept under a suffixed key, never dropped.
        #expect(item["assets"]?["openEO.tif-2"]?["href"]?.stringValue == "https://x/1/b.tif")
        #expect(item["properties"]?["status"]?.stringValue == "finished")
    }
}
