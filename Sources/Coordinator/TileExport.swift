import FleetModel
import Foundation
import Geo
import Storage

/// Tiles as GeoJSON and STAC: the pure formatting behind `export` and `results --stac`.
public enum TileExport {
    /// A FeatureCollection: one Feature per tile with status, attempt, its backend (`backend`) and
    /// the backend of each attempt (`attempt_backends`), job id, durations, the
    /// credits of its attempts (`credits`) and its latest `usage` where the platform reported
    /// them (so a map can colour tiles by cost) and, while a tile waits on one, its trouble
    /// (`trouble`, `trouble_since`, `trouble_tries`).
    public static func featureCollection(_ tiles: [TileResult]) -> JSONValue {
        .object(["type": .string("FeatureCollection"), "features": .array(tiles.map(feature))])
    }

    /// The text of ``featureCollection(_:)`` written a page of tiles at a time, so `export` of a
    /// million tiles never holds them all at once. Each Feature is ``featureText(_:)``: the stored
    /// geometries go out as stored, never decoded.
    public struct FeatureCollectionText: Sendable {
        public private(set) var text = #"{"features":["#
        public private(set) var count = 0

        public init() {}

        /// Appends the features of `tiles`.
        public mutating func append(_ tiles: [TileResult]) {
            for tile in tiles {
                if count > 0 { text += "," }
                text += TileExport.featureText(tile)
                count += 1
            }
        }

        /// Hands over the text made so far and forgets it, so a collection written page by page
        /// holds one page; ``finished`` then gives the rest.
        public mutating func take() -> String {
            defer { text = "" }
            return text
        }

        /// The whole collection (after ``take()``, what is left of it).
        public var finished: String { text + #"],"type":"FeatureCollection"}"# }
    }

    /// One tile's Feature (see ``featureCollection(_:)``).
    public static func feature(_ tile: TileResult) -> JSONValue {
        .object(["type": .string("Feature"), "id": .string(tile.tile), "properties": .object(properties(tile)),
                 "geometry": geometry(tile) ?? .null])
    }

    /// ``feature(_:)`` as canonical JSON text, but with the tile's stored geometry spliced in as
    /// stored (it is GeoJSON text already; checked to be JSON, else `null` as in ``feature(_:)``)
    /// instead of decoded and encoded again, which was most of an export's time on a million tiles.
    public static func featureText(_ tile: TileResult) -> String {
        let geometry = tile.geometry.flatMap { JSONSyntax.problem(in: $0) == nil ? $0 : nil } ?? "null"
        return #"{"geometry":"# + geometry + #","id":"# + JSONValue.string(tile.tile).canonicalJSON
            + #","properties":"# + JSONValue.object(properties(tile)).canonicalJSON + #","type":"Feature"}"#
    }

    /// A Feature's properties (see ``featureCollection(_:)``).
    static func properties(_ tile: TileResult) -> [String: JSONValue] {
        var properties: [String: JSONValue] = [
            "task": .string(tile.task), "tile": .string(tile.tile), "status": .string(tile.status),
            "attempt": .number(Double(tile.attempt)), "assets": .number(Double(tile.assets.count)),
        ]
        properties["cell_id"] = tile.cellID.map(JSONValue.string)
        properties["backend_job_id"] = tile.backendJobID.map(JSONValue.string)
        if !tile.backend.isEmpty { properties["backend"] = .string(tile.backend) }
        if !tile.attemptBackends.isEmpty { properties["attempt_backends"] = .array(tile.attemptBackends.map(JSONValue.string)) }
        properties["error"] = tile.lastError.map(JSONValue.string)
        properties["window_start"] = tile.windowStart.map(JSONValue.string)
        properties["window_end"] = tile.windowEnd.map(JSONValue.string)
        properties["area_km2"] = tile.areaKm2.map(JSONValue.number)
        properties["queue_wait_s"] = tile.queueWaitSeconds.map(JSONValue.number)
        properties["run_s"] = tile.runSeconds.map(JSONValue.number)
        properties["finished_at"] = tile.finishedAt.map { .string(iso($0)) }
        properties["trouble"] = tile.trouble.map(JSONValue.string)
        properties["trouble_since"] = tile.troubleSince.map { .string(iso($0)) }
        properties["trouble_tries"] = tile.troubleTries.map { .number(Double($0)) }
        properties["credits"] = tile.credits.map(JSONValue.number)
        properties["usage"] = tile.usage.map { usage in
            .object(usage.mapValues { quantity in
                .object(["value": .number(quantity.value), "unit": quantity.unit.map(JSONValue.string) ?? .null])
            })
        }
        return properties
    }

    /// The key of a downloaded asset in `localFiles`: the same href may serve several tiles.
    public static func fileKey(tile: String, href: String) -> String { "\(tile) \(href)" }

    /// A STAC 1.0 Collection with one Item per tile that has assets. `localFiles` maps
    /// ``fileKey(tile:href:)`` to the downloaded file (relative to the Collection's directory);
    /// other assets keep their remote href. Assets are keyed by their ``ResultFiles`` file name;
    /// refused ones (see ``ResultFiles/refusal(of:)``) are never published.
    /// Returns file name (`collection.json`, `items/<tile>.json` with the tile id made safe as in
    /// ``ResultFiles``) → JSON document, to be written under one directory.
    public static func stac(task: String, title: String, tiles: [TileResult], localFiles: [String: String] = [:]) -> [String: JSONValue] {
        var documents: [String: JSONValue] = [:]
        var links: [JSONValue] = [
            .object(["rel": .string("root"), "href": .string("./collection.json"), "type": .string("application/json")]),
            .object(["rel": .string("self"), "href": .string("./collection.json"), "type": .string("application/json")]),
        ]
        var west = 180.0, south = 90.0, east = -180.0, north = -90.0
        var starts: [String] = [], ends: [String] = [], instants: [String] = []
        var itemNames = ResultFiles.UniqueNames()
        for tile in tiles where tile.assets.contains(where: { ResultFiles.refusal(of: $0) == nil }) {
            guard let geometry = geometry(tile), let box = bbox(geometry) else { continue }
            west = min(west, box[0]); south = min(south, box[1]); east = max(east, box[2]); north = max(north, box[3])
            var properties: [String: JSONValue] = ["tilefleet:status": .string(tile.status), "tilefleet:attempt": .number(Double(tile.attempt))]
            if let start = tile.windowStart, let end = tile.windowEnd {
                properties["datetime"] = .null
                properties["start_datetime"] = .string(start + "T00:00:00Z")
                properties["end_datetime"] = .string(end + "T23:59:59Z")
                starts.append(start); ends.append(end)
            } else {
                let time = iso(tile.finishedAt ?? Date())
                properties["datetime"] = .string(time)
                instants.append(time)
            }
            properties["tilefleet:backend_job_id"] = tile.backendJobID.map(JSONValue.string)
            if !tile.backend.isEmpty { properties["tilefleet:backend"] = .string(tile.backend) }
            var assets: [String: JSONValue] = [:]
            for (asset, name) in zip(tile.assets, ResultFiles.fileNames(for: tile.assets)) where ResultFiles.refusal(of: asset) == nil {
                var member: [String: JSONValue] = ["href": .string(localFiles[fileKey(tile: tile.tile, href: asset.href)].map { "../" + $0 } ?? asset.href)]
                member["type"] = asset.type.map(JSONValue.string)
                member["title"] = asset.title.map(JSONValue.string)
                member["roles"] = .array((asset.roles.isEmpty ? ["data"] : asset.roles).map(JSONValue.string))
                member["file:size"] = asset.size.map { .number(Double($0)) }
                assets[name] = .object(member)
            }
            let item: JSONValue = .object([
                "type": .string("Feature"), "stac_version": .string("1.0.0"), "id": .string(tile.tile), "collection": .string(task),
                "stac_extensions": .array([.string("https://stac-extensions.github.io/file/v2.1.0/schema.json")]),
                "geometry": geometry, "bbox": .array(box.map(JSONValue.number)), "properties": .object(properties),
                "assets": .object(assets),
                "links": .array([
                    .object(["rel": .string("collection"), "href": .string("../collection.json"), "type": .string("application/json")]),
                    .object(["rel": .string("parent"), "href": .string("../collection.json"), "type": .string("application/json")]),
                    .object(["rel": .string("root"), "href": .string("../collection.json"), "type": .string("application/json")]),
                ]),
            ])
            // The Item's file is named like the tile's download directory: a tile id never makes a path.
            let itemFile = itemNames.claim(ResultFiles.safeName(tile.tile) ?? "tile") + ".json"
            documents["items/\(itemFile)"] = item
            links.append(.object(["rel": .string("item"), "href": .string("./items/\(itemFile)"), "type": .string("application/geo+json")]))
        }
        let first = (starts.map { $0 + "T00:00:00Z" } + instants).min()
        let last = (ends.map { $0 + "T23:59:59Z" } + instants).max()
        let interval: JSONValue = .array([.array([first.map(JSONValue.string) ?? .string(iso(Date())), last.map(JSONValue.string) ?? .null])])
        documents["collection.json"] = .object([
            "type": .string("Collection"), "stac_version": .string("1.0.0"), "id": .string(task), "title": .string(title),
            "description": .string("Results of the tilefleet task \(task): one item per tile."), "license": .string("other"),
            "extent": .object([
                "spatial": .object(["bbox": .array([.array((west <= east ? [west, south, east, north] : [-180, -90, 180, 90]).map(JSONValue.number))])]),
                "temporal": .object(["interval": interval]),
            ]),
            "links": .array(links),
        ])
        return documents
    }

    static func geometry(_ tile: TileResult) -> JSONValue? {
        guard let text = tile.geometry else { return nil }
        return try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    /// [west, south, east, north] of a Polygon or MultiPolygon.
    static func bbox(_ geometry: JSONValue) -> [Double]? {
        var xs: [Double] = [], ys: [Double] = []
        func walk(_ value: JSONValue) {
            guard let array = value.arrayValue else { return }
            if array.count >= 2, let x = array[0].numberValue, let y = array[1].numberValue {
                xs.append(x); ys.append(y)
            } else {
                array.forEach(walk)
            }
        }
        if let coordinates = geometry["coordinates"] { walk(coordinates) }
        guard let west = xs.min(), let east = xs.max(), let south = ys.min(), let north = ys.max() else { return nil }
        return [west, south, east, north]
    }

    static func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
}
