import FleetModel
import Foundation
import Storage

/// Where `results --download` puts each asset, derived only from what is safe: `<tile>/<file>`,
/// both names made of letters, digits, `.`, `-`, `_` and `+` (anything else becomes `_`, leading dots
/// are dropped, so no separator, `..`, hidden or control character survives), unique within their
/// directory (`name-2.ext` for a second `name.ext`). Assets whose href ``AssetLink`` refuses, and the
/// notes of assets rejected when they arrived, are not fetched: they are listed with the reason.
public enum ResultFiles {
    /// One asset to fetch.
    public struct Entry: Sendable, Equatable {
        public var tile: String
        public var href: String
        /// Path components below the download directory: the tile's directory and the file name.
        public var path: [String]
        /// The size the platform announced, if any.
        public var size: Int64?
        /// ``TileExport/fileKey(tile:href:)``: how STAC finds the downloaded file.
        public var key: String { TileExport.fileKey(tile: tile, href: href) }

        public init(tile: String, href: String, path: [String], size: Int64?) {
            self.tile = tile
            self.href = href
            self.path = path
            self.size = size
        }
    }

    /// An asset that is not fetched, and why.
    public struct Refused: Sendable, Equatable {
        public var tile: String
        public var name: String
        public var reason: String
        /// Whether it is the note of an asset rejected when it arrived (its reason names the asset).
        public var isNote: Bool = false

        /// `<tile>: <reason>` for a note, `<tile> <name>: <reason>` otherwise.
        public var line: String { isNote ? "\(tile): \(reason)" : "\(tile) \(name): \(reason)" }
    }

    /// The files for every fetchable asset of `tiles`, and the assets refused.
    public static func plan(_ tiles: [TileResult]) -> (entries: [Entry], refused: [Refused]) {
        var entries: [Entry] = [], refused: [Refused] = []
        var tileDirectories = UniqueNames()
        for tile in tiles where !tile.assets.isEmpty {
            let directory = tileDirectories.claim(safeName(tile.tile) ?? "tile")
            for (asset, name) in zip(tile.assets, fileNames(for: tile.assets)) {
                if let reason = refusal(of: asset) {
                    refused.append(Refused(tile: tile.tile, name: name, reason: reason, isNote: asset.roles.contains(AssetLink.rejectedRole)))
                } else {
                    entries.append(Entry(tile: tile.tile, href: asset.href, path: [directory, name], size: asset.size))
                }
            }
        }
        return (entries, refused)
    }

    /// Why `asset` is not fetched nor published, or `nil` when it may be.
    public static func refusal(of asset: TileResult.Asset) -> String? {
        if asset.roles.contains(AssetLink.rejectedRole) {
            return asset.title ?? "rejected when it arrived"
        }
        do throws(AssetLink.Refusal) {
            _ = try AssetLink(href: asset.href)
            return nil
        } catch {
            return error.reason
        }
    }

    /// Safe, distinct file names for one tile's assets, in order: the href's last path segment for a
    /// URL, else the asset's title with an extension from its media type (or the `data:` URL's),
    /// else `asset-<n>`.
    public static func fileNames(for assets: [TileResult.Asset]) -> [String] {
        var names = UniqueNames()
        return assets.enumerated().map { index, asset in
            names.claim(candidate(for: asset).flatMap(safeName) ?? "asset-\(index + 1)")
        }
    }

    static func candidate(for asset: TileResult.Asset) -> String? {
        let link = try? AssetLink(href: asset.href)
        if case .remote(let url)? = link, !url.lastPathComponent.isEmpty, url.lastPathComponent != "/" {
            return url.lastPathComponent
        }
        guard let title = asset.title else { return nil }
        var declared = asset.type
        if declared == nil, case .inline(let inlineType, _)? = link { declared = inlineType }
        let mediaType = declared?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let suffix = mediaType.flatMap({ extensions[$0] }), !title.lowercased().hasSuffix(suffix) else { return title }
        return title + suffix
    }

    static let extensions = [
        "application/json": ".json", "application/geo+json": ".geojson", "text/plain": ".txt", "text/csv": ".csv",
        "image/tiff": ".tif", "image/png": ".png", "image/jpeg": ".jpg", "application/x-netcdf": ".nc",
        "application/netcdf": ".nc", "application/zip": ".zip", "application/xml": ".xml", "text/html": ".html",
    ]

    /// `candidate` reduced to a safe file name, or `nil` when nothing usable is left. Keeps at most
    /// 120 characters, the extension (up to 10) included.
    public static func safeName(_ candidate: String) -> String? {
        var name = String(candidate.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || ".-_+".unicodeScalars.contains(scalar))
                ? Character(scalar) : "_"
        })
        while name.hasPrefix(".") { name.removeFirst() }
        guard name.contains(where: { $0 != "_" && $0 != "." }) else { return nil }
        if name.count > 120 {
            let dot = name.lastIndex(of: ".").flatMap { name.distance(from: $0, to: name.endIndex) <= 10 ? $0 : nil }
            let suffix = dot.map { String(name[$0...]) } ?? ""
            name = String(name.prefix(120 - suffix.count)) + suffix
        }
        return name
    }

    /// Hands out names, adding `-2`, `-3`, … before the extension to one already taken
    /// (compared case-insensitively, for file systems that ignore case).
    struct UniqueNames {
        private var taken: Set<String> = []

        mutating func claim(_ name: String) -> String {
            var candidate = name
            var counter = 1
            while taken.contains(candidate.lowercased()) {
                counter += 1
                if let dot = name.lastIndex(of: "."), dot != name.startIndex {
                    candidate = "\(name[..<dot])-\(counter)\(name[dot...])"
                } else {
                    candidate = "\(name)-\(counter)"
                }
            }
            taken.insert(candidate.lowercased())
            return candidate
        }
    }
}
