import Backends
import FleetModel
import Testing

/// What a backend's asset list may bring into an event: hrefs and counts within ``MessageLimits``.
@Suite struct AssetScreeningTests {
    @Test func anOversizeHrefBecomesANoteNamingItsSize() {
        let big = "data:text/plain;base64," + String(repeating: "A", count: MessageLimits.href)
        let screened = BackendAsset.screened([BackendAsset(name: "ok", href: "https://x/a.tif"), BackendAsset(name: "inline", href: big)])
        #expect(screened[0].href == "https://x/a.tif")
        #expect(screened[1].roles == [AssetLink.rejectedRole])
        #expect(screened[1].title == "asset 'inline' rejected: the href is \(big.utf8.count) bytes, more than the limit of \(MessageLimits.href)")
        #expect(screened[1].href.utf8.count <= MessageLimits.href)
    }

    @Test func assetsBeyondTheLimitAreReplacedByOneNote() {
        let assets = (0..<(MessageLimits.assets + 5)).map { BackendAsset(name: "a\($0)", href: "https://x/\($0).tif") }
        let screened = BackendAsset.screened(assets)
        #expect(screened.count == MessageLimits.assets)
        #expect(screened.dropLast().map(\.name) == assets.prefix(MessageLimits.assets - 1).map(\.name))
        #expect(screened.last?.title == "6 more assets left out (an event carries at most \(MessageLimits.assets))")
    }

    @Test func aHostileNameCannotGrowTheNoteBeyondATitle() {
        let screened = BackendAsset.screened([BackendAsset(name: String(repeating: "n", count: 100_000), href: "file:///etc/passwd")])
        #expect(screened[0].title!.utf8.count <= MessageLimits.title)
        #expect(screened[0].title!.hasSuffix("rejected: the scheme 'file' is not fetched (only http, https and data)"))
        #expect(screened[0].href.utf8.count <= MessageLimits.href)
    }
}
