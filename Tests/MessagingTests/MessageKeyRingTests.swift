import FleetModel
import Foundation
import Testing

@testable import Messaging

@Suite struct MessageKeyRingTests {
    static let first = String(repeating: "11", count: 32)
    static let second = String(repeating: "a2", count: 32)
    let body = Array(#"{"schema":"tilefleet.work/1","task":"t"}"#.utf8)

    @Test func aTagMadeWithTheRingVerifies() throws {
        let ring = try MessageKeyRing(parsing: Self.first, source: "k")
        let tag = ring.tag(body, purpose: .work)
        #expect(tag.hasPrefix(ring.signingKeyID + "."))
        #expect(ring.problem(with: tag, body: body, purpose: .work) == nil)
    }

    @Test func aChangedBodyFails() throws {
        let ring = try MessageKeyRing(parsing: Self.first, source: "k")
        let tag = ring.tag(body, purpose: .work)
        var forged = body
        forged[forged.count - 2] = UInt8(ascii: "u")
        #expect(ring.problem(with: tag, body: forged, purpose: .work)?.contains("does not match") == true)
    }

    @Test func aTagForEventsIsNoTagForWork() throws {
        let ring = try MessageKeyRing(parsing: Self.first, source: "k")
        let tag = ring.tag(body, purpose: .events)
        #expect(ring.problem(with: tag, body: body, purpose: .work)?.contains("does not match") == true)
        #expect(ring.problem(with: tag, body: body, purpose: .events) == nil)
    }

    @Test func missingMalformedAndForeignTagsAreNamed() throws {
        let ring = try MessageKeyRing(parsing: Self.first, source: "k")
        #expect(ring.problem(with: nil, body: body, purpose: .work)?.contains("no authenticity tag") == true)
        #expect(ring.problem(with: "garbage", body: body, purpose: .work)?.contains("malformed") == true)
        #expect(ring.problem(with: ring.signingKeyID + ".abcd", body: body, purpose: .work)?.contains("malformed") == true)
        let other = try MessageKeyRing(parsing: Self.second, source: "k2")
        let problem = ring.problem(with: other.tag(body, purpose: .work), body: body, purpose: .work)
        #expect(problem?.contains("unknown key '\(other.signingKeyID)'") == true)
    }

    @Test func rotationAcceptsThePreviousKeyAndSignsWithTheFirst() throws {
        let old = try MessageKeyRing(parsing: Self.first, source: "old")
        let during = try MessageKeyRing(parsing: "\(Self.second)\n# previous key, retire after the lease\n\(Self.first)\n", source: "during")
        let new = try MessageKeyRing(parsing: Self.second, source: "new")
        #expect(during.signingKeyID == new.signingKeyID)
        #expect(during.keyIDs == [new.signingKeyID, old.signingKeyID])
        #expect(during.problem(with: old.tag(body, purpose: .work), body: body, purpose: .work) == nil)
        #expect(old.problem(with: during.tag(body, purpose: .work), body: body, purpose: .work) != nil)
        #expect(new.problem(with: old.tag(body, purpose: .work), body: body, purpose: .work) != nil)
    }

    @Test func base64KeysAreRead() throws {
        let bytes = [UInt8](repeating: 7, count: 48)
        let ring = try MessageKeyRing(parsing: Data(bytes).base64EncodedString(), source: "k")
        #expect(ring.keyIDs.count == 1)
    }

    @Test(arguments: [
        ("", "k: no key in the file"),
        ("# only a comment\n\n", "k: no key in the file"),
        ("\n" + String(repeating: "ab", count: 16), "k:2: the key has 16 bytes, fewer than 32"),
        ("not a key at all!", "k:1: not a key"),
        (first + "\n" + first, "k:2: the same key appears twice"),
    ])
    func badKeyFilesNameTheLine(text: String, expected: String) {
        #expect {
            _ = try MessageKeyRing(parsing: text, source: "k")
        } throws: { error in
            (error as? MessageKeyRing.Problem)?.description.hasPrefix(expected) == true
        }
    }

    @Test func newKeysAreDistinctAndUsable() throws {
        let a = MessageKeyRing.newKey()
        let b = MessageKeyRing.newKey()
        #expect(a != b)
        #expect(a.count == 64)
        _ = try MessageKeyRing(parsing: a, source: "k")
    }
}
