import FleetModel
import Foundation
import Testing

@Suite struct AssetLinkTests {
    @Test func httpAndHttpsLinksAreFetched() throws {
        #expect(try AssetLink(href: "https://example.org/jobs/j1/openEO.tif") == .remote(URL(string: "https://example.org/jobs/j1/openEO.tif")!))
        #expect(try AssetLink(href: "HTTP://example.org:8080/a?b=c") == .remote(URL(string: "HTTP://example.org:8080/a?b=c")!))
    }

    @Test func dataURLsAreDecoded() throws {
        let base64 = "data:application/json;base64," + Data(#"{"pixels":3}"#.utf8).base64EncodedString()
        #expect(try AssetLink(href: base64) == .inline(mediaType: "application/json", bytes: Data(#"{"pixels":3}"#.utf8)))
        #expect(try AssetLink(href: "data:,hello%20world%FF") == .inline(mediaType: nil, bytes: Data("hello world".utf8) + [0xFF]))
        #expect(try AssetLink(href: "data:text/plain;charset=utf-8,a%2Fb") == .inline(mediaType: "text/plain", bytes: Data("a/b".utf8)))
    }

    @Test(arguments: [
        ("file:///etc/passwd", "scheme 'file' is not fetched"),
        ("javascript:alert(1)", "scheme 'javascript' is not fetched"),
        ("ftp://example.org/a.tif", "scheme 'ftp' is not fetched"),
        ("../../.bashrc", "not an absolute URL"),
        ("/etc/passwd", "not an absolute URL"),
        ("https:///no-host", "has no host"),
        ("https://example.org/a\nb", "control characters"),
        ("data:text/plain;base64,@@@", "not valid base64"),
        ("data:text/plain", "no ','"),
        ("data:,50%ZZ", "malformed percent-encoding"),
    ])
    func otherHrefsAreRefusedWithAReason(href: String, reason: String) {
        #expect(!AssetLink.isAcceptable(href))
        #expect {
            _ = try AssetLink(href: href)
        } throws: { error in
            (error as? AssetLink.Refusal)?.reason.contains(reason) == true
        }
    }

    @Test func aNoteIsAnInertDataURLCarryingItsText() throws {
        let note = AssetLink.rejectionNote(name: "x/../y", reason: "the scheme 'file' is not fetched (only http, https and data)")
        let href = AssetLink.noteHref(note)
        #expect(href.hasPrefix("data:text/plain;charset=utf-8,"))
        let payload = href.split(separator: ",", maxSplits: 1).last ?? ""
        #expect(!payload.contains("/") && !payload.contains(" "), "the refused text stays inert")
        #expect(try AssetLink(href: href) == .inline(mediaType: "text/plain", bytes: Data(note.utf8)))
    }
}
