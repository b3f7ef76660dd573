import Coordinator
import FleetModel
import Foundation
import Geo
import Storage
import Testing

struct TileExportTests {
    static let polygon = #"{"type":"Polygon","coordinates":[[[16.1,48.0],[16.4,48.0],[16.4,48.2],[16.1,48.2],[16.1,48.0]]]}"#

    static func tile(_ id: String, assets: [TileResult.Asset]) -> TileResult {
        TileResult(task: "t", tile: id, cellID: id, windowStart: "2023-05-01", windowEnd: "2023-09-30", geometry: polygon, areaKm2: 400,
                   status: assets.isEmpty ? "failed" : "finished", attempt: 1, backendJobID: "j-\(id)", lastError: nil,
                   dispatchedAt: Date(timeIntervalSince1970: 0), submittedAt: Date(timeIntervalSince1970: 5),
                   startedAt: Date(timeIntervalSince1970: 10), finishedAt: Date(timeIntervalSince1970: 70), assets: assets)
    }

    @Test func theGeoJSONExportCarriesStatusJobAndDurations() {
        let collection = TileExport.featureCollection([Self.tile("a", assets: [])])
        let feature = collection["features"]?.arrayValue?.first
        #expect(feature?["geometry"]?["type"]?.stringValue == "Polygon")
        #expect(feature?["properties"]?["status"]?.stringValue == "failed")
        #expect(feature?["properties"]?["backend_job_id"]?.stringValue == "j-a")
        #expect(feature?["properties"]?["queue_wait_s"]?.numberValue == 5)
        #expect(feature?["properties"]?["run_s"]?.numberValue == 60)
        #expect(feature?["properties"]?["trouble"] == nil, "no trouble, no member")
    }

    @Test func theGeoJSONExportCarriesATilesCreditsAndUsageSoAMapCanColourByCost() {
        var tile = Self.tile("a", assets: [])
        tile.credits = 17.25
        tile.usage = ["cpu": UsageQuantity(value: 40, unit: "cpu-seconds")]
        let properties = TileExport.featureCollection([tile, Self.tile("b", assets: [])])["features"]?.arrayValue?.map { $0["properties"] }
        #expect(properties?[0]?["credits"]?.numberValue == 17.25)
        #expect(properties?[0]?["usage"]?["cpu"]?["value"]?.numberValue == 40)
        #expect(properties?[0]?["usage"]?["cpu"]?["unit"]?.stringValue == "cpu-seconds")
        #expect(properties?[1]?["credits"] == nil, "no costs reported, no member")
    }

    @Test func theGeoJSONExportCarriesATilesTrouble() {
        var tile = Self.tile("a", assets: [])
        tile.status = "queued"
        tile.trouble = "submit failed: 503 Service Unavailable"
        tile.troubleSince = Date(timeIntervalSince1970: 1_780_000_000)
        tile.troubleTries = 4
        let properties = TileExport.featureCollection([tile])["features"]?.arrayValue?.first?["properties"]
        #expect(properties?["trouble"]?.stringValue == "submit failed: 503 Service Unavailable")
        #expect(properties?["trouble_since"]?.stringValue == "2026-05-28T20:26:40Z")
        #expect(properties?["trouble_tries"]?.numberValue == 4)
    }

    @Test func theSTACCollectionHasOneItemPerTileWithAssets() {
        let asset = TileResult.Asset(href: "https://example.org/jobs/j-a/openEO.tif", type: "image/tiff; application=geotiff",
                                     roles: ["data"], title: nil, size: 1234)
        let documents = TileExport.stac(task: "t", title: "Test", tiles: [Self.tile("a", assets: [asset]), Self.tile("b", assets: [])],
                                        localFiles: [TileExport.fileKey(tile: "a", href: "https://example.org/jobs/j-a/openEO.tif"): "downloads/a/openEO.tif"])
        #expect(Set(documents.keys) == ["collection.json", "items/a.json"])
        let collection = documents["collection.json"]!
        #expect(collection["type"]?.stringValue == "Collection")
        #expect(collection["stac_version"]?.stringValue == "1.0.0")
        #expect(collection["extent"]?["spatial"]?["bbox"]?.arrayValue?.first == .array([16.1, 48.0, 16.4, 48.2].map(JSONValue.number)))
        #expect(collection["links"]?.arrayValue?.contains { $0["rel"]?.stringValue == "item" && $0["href"]?.stringValue == "./items/a.json" } == true)
        let item = documents["items/a.json"]!
        #expect(item["properties"]?["start_datetime"]?.stringValue == "2023-05-01T00:00:00Z")
        #expect(item["assets"]?["openEO.tif"]?["href"]?.stringValue == "../downloads/a/openEO.tif")
        #expect(item["assets"]?["openEO.tif"]?["file:size"]?.numberValue == 1234)
        #expect(item["bbox"]?.arrayValue?.count == 4)
    }
}

/// `export` writes the collection a page of tiles at a time: the same collection as the whole one,
/// with each stored geometry as stored.
@Suite struct FeatureCollectionTextTests {
    /// `text` parsed: the texts differ from ``JSONValue/canonicalJSON`` in the geometries' key order only.
    func parsed(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    @Test func pagesWriteTheSameCollectionAsTheWholeOne() throws {
        let tiles = ["a", "b", "c"].map { TileExportTests.tile($0, assets: []) }
        var paged = TileExport.FeatureCollectionText()
        paged.append(Array(tiles.prefix(2)))
        paged.append([])
        paged.append(Array(tiles.suffix(1)))
        #expect(paged.count == 3)
        #expect(try parsed(paged.finished) == TileExport.featureCollection(tiles))
        #expect(TileExport.FeatureCollectionText().finished == TileExport.featureCollection([]).canonicalJSON)
    }

    @Test func piecesTakenPageByPageMakeTheSameCollectionAndAreNotKept() throws {
        let tiles = ["a", "b", "c"].map { TileExportTests.tile($0, assets: []) }
        var streamed = TileExport.FeatureCollectionText()
        var pieces: [String] = []
        streamed.append(Array(tiles.prefix(2)))
        pieces.append(streamed.take())
        #expect(streamed.text.isEmpty)
        streamed.append([])
        pieces.append(streamed.take())
        streamed.append(Array(tiles.suffix(1)))
        pieces.append(streamed.take())
        pieces.append(streamed.finished)
        #expect(streamed.count == 3)
        #expect(pieces[1].isEmpty)
        #expect(try parsed(pieces.joined()) == TileExport.featureCollection(tiles))
    }

    @Test func aStoredGeometryIsWrittenAsStoredAndOneThatIsNotJSONAsNull() throws {
        var tile = TileExportTests.tile("a", assets: [])
        let stored = #"{"type":"Polygon","coordinates":[[[16.3,48.1],[16.31,48.1],[16.31,48.11],[16.3,48.1]]]}"#
        tile.geometry = stored
        let text = TileExport.featureText(tile)
        #expect(text.hasPrefix(#"{"geometry":"# + stored + ","))
        #expect(try parsed(text) == TileExport.feature(tile))
        tile.geometry = #"{"type":"Polygon","coordinates":[[[16.3,48.1]"#
        #expect(try parsed(TileExport.featureText(tile))["geometry"] == .null)
        #expect(TileExport.feature(tile)["geometry"] == .null)
        tile.geometry = nil
        #expect(try parsed(TileExport.featureText(tile))["geometry"] == .null)
    }
}
