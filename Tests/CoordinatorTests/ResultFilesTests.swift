import Coordinator
import FleetModel
import Foundation
import Storage
import Testing

@Suite struct ResultFilesTests {
    static func asset(_ href: String, type: String? = nil, roles: [String] = ["data"], title: String? = nil) -> TileResult.Asset {
        TileResult.Asset(href: href, type: type, roles: roles, title: title)
    }

    @Test(arguments: [
        ("openEO_2024-01-01.tif", "openEO_2024-01-01.tif"),
        ("../../.bashrc", "_.._.bashrc"),
        ("/etc/passwd", "_etc_passwd"),
        ("..\\..\\x.txt", "_.._x.txt"),
        ("bell\u{07}\u{1B}[2Jname.txt", "bell___2Jname.txt"),
        (".hidden", "hidden"),
        ("résumé.tif", "r_sum_.tif"),
    ])
    func namesKeepOnlySafeCharacters(candidate: String, expected: String) throws {
        let name = try #require(ResultFiles.safeName(candidate))
        #expect(name == expected)
        #expect(!name.contains("/") && !name.hasPrefix(".") && name != "..")
    }

    @Test(arguments: ["", ".", "..", "/", "../..", "%%%"])
    func namesWithNothingUsableLeftAreNone(candidate: String) {
        #expect(ResultFiles.safeName(candidate) == nil)
    }

    @Test func longNamesAreCutKeepingTheirExtension() throws {
        let name = try #require(ResultFiles.safeName(String(repeating: "a", count: 300) + ".tif"))
        #expect(name.count == 120)
        #expect(name.hasSuffix("a.tif"))
    }

    @Test func namesComeFromTheURLOrTheTitleAndNeverCollide() {
        let names = ResultFiles.fileNames(for: [
            Self.asset("https://x/one/result.tif"),
            Self.asset("https://x/two/result.tif"),
            Self.asset("https://x/three/RESULT.tif"),
            Self.asset("https://x/files/..%2F..%2Fescaped.txt"),
            Self.asset("https://x/"),
            Self.asset("data:application/json;base64,e30=", type: "application/json", title: "summary"),
            Self.asset("data:text/plain,hi", type: "text/plain; charset=utf-8", title: "notes.txt"),
            Self.asset("data:,x"),
            Self.asset("data:image/png;base64,iVBO", title: "preview"),
        ])
        #expect(names == ["result.tif", "result-2.tif", "RESULT-3.tif", "_.._escaped.txt", "asset-5", "summary.json", "notes.txt", "asset-8",
                          "preview.png"])
    }

    @Test func refusedAndRejectedAssetsAreListedNotFetched() {
        let note = AssetLink.rejectionNote(name: "evil", reason: "the scheme 'file' is not fetched (only http, https and data)")
        let tile = TileExportTests.tile("32633/../a", assets: [
            Self.asset("https://x/out.tif"),
            Self.asset("file:///etc/passwd"),
            Self.asset(AssetLink.noteHref(note), type: "text/plain", roles: [AssetLink.rejectedRole], title: note),
        ])
        let (entries, refused) = ResultFiles.plan([tile, TileExportTests.tile("b", assets: [])])
        #expect(entries == [ResultFiles.Entry(tile: "32633/../a", href: "https://x/out.tif", path: ["32633_.._a", "out.tif"], size: nil)])
        #expect(refused.map(\.reason) == ["the scheme 'file' is not fetched (only http, https and data)", note])
        #expect(refused.map(\.line) == ["32633/../a asset-2: the scheme 'file' is not fetched (only http, https and data)", "32633/../a: \(note)"])
    }

    @Test func tileDirectoriesThatSanitizeAlikeStayApart() {
        let tiles = [TileExportTests.tile("a/b", assets: [Self.asset("https://x/1.tif")]), TileExportTests.tile("a_b", assets: [Self.asset("https://x/2.tif")])]
        #expect(ResultFiles.plan(tiles).entries.map(\.path) == [["a_b", "1.tif"], ["a_b-2", "2.tif"]])
    }

    @Test func stacNeverPublishesRefusedAssetsAndPointsAtDownloadedFiles() {
        let tile = TileExportTests.tile("a", assets: [
            Self.asset("https://x/one/result.tif"), Self.asset("https://x/two/result.tif"),
            Self.asset("javascript:alert(1)"), Self.asset("file:///etc/passwd"),
        ])
        let onlyRefused = TileExportTests.tile("b", assets: [Self.asset("file:///etc/shadow")])
        let documents = TileExport.stac(task: "t", title: "T", tiles: [tile, onlyRefused],
                                        localFiles: [TileExport.fileKey(tile: "a", href: "https://x/two/result.tif"): "downloads/a/result-2.tif"])
        #expect(Set(documents.keys) == ["collection.json", "items/a.json"])
        let assets = documents["items/a.json"]?["assets"]
        #expect(assets?.jsonObjectKeys == ["result-2.tif", "result.tif"])
        #expect(assets?["result.tif"]?["href"]?.stringValue == "https://x/one/result.tif")
        #expect(assets?["result-2.tif"]?["href"]?.stringValue == "../downloads/a/result-2.tif")
        #expect(!documents["items/a.json"]!.canonicalJSON.contains("file:") && !documents["items/a.json"]!.canonicalJSON.contains("javascript:"))
    }

    @Test func stacItemFilesAreNamedSafelyWhateverTheTileID() {
        let tiles = ["../../evil", "a/b", "a_b"].map { TileExportTests.tile($0, assets: [Self.asset("https://x/\($0.count).tif")]) }
        let documents = TileExport.stac(task: "t", title: "T", tiles: tiles)
        #expect(Set(documents.keys) == ["collection.json", "items/_.._evil.json", "items/a_b.json", "items/a_b-2.json"])
        let links = documents["collection.json"]?["links"]?.arrayValue?.compactMap { $0["rel"]?.stringValue == "item" ? $0["href"]?.stringValue : nil }
        #expect(links == ["./items/_.._evil.json", "./items/a_b.json", "./items/a_b-2.json"])
    }
}

extension JSONValue {
    fileprivate var jsonObjectKeys: [String]? {
        if case .object(let members) = self { return members.keys.sorted() }
        return nil
    }
}
