import AMQP
import FleetModel
import Foundation
import Testing

@testable import Messaging

@Suite struct MessageKeyFileTests {
    let body = Array(#"{"schema":"tilefleet.work/1"}"#.utf8)

    func keyFile(_ text: String, mode: Int = 0o600) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("key-\(UUID().uuidString)").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    /// Rewrites `path` as a rotation tool does: a new file renamed over the old one.
    func replace(_ path: String, with text: String) throws {
        let temporary = path + ".new"
        try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: temporary)
        #expect(rename(temporary, path) == 0)
    }

    @Test func aFileOthersMayReadIsRefused() throws {
        let path = try keyFile(MessageKeyRing.newKey(), mode: 0o644)
        #expect {
            _ = try MessageKeyFile(path: path)
        } throws: { error in
            "\(error)".contains("may be read by other users (mode 644); chmod 600 it")
        }
    }

    @Test func aMissingFileIsNamed() {
        #expect {
            _ = try MessageKeyFile(path: "/nonexistent/tilefleet.key")
        } throws: { error in
            "\(error)".hasPrefix("/nonexistent/tilefleet.key: cannot read the key file")
        }
    }

    @Test func aRotatedFileIsTakenUpWithoutARestart() throws {
        let old = MessageKeyRing.newKey()
        let new = MessageKeyRing.newKey()
        let path = try keyFile(old)
        let file = try MessageKeyFile(path: path, recheck: .zero)
        let oldTag = file.ring.tag(body, purpose: .work)
        try replace(path, with: "\(new)\n\(old)\n")
        #expect(file.ring.keyIDs.count == 2)
        #expect(file.ring.problem(with: oldTag, body: body, purpose: .work) == nil)
        let newTag = file.ring.tag(body, purpose: .work)
        #expect(newTag != oldTag)
        try replace(path, with: new)
        #expect(file.ring.problem(with: oldTag, body: body, purpose: .work)?.contains("unknown key") == true)
        #expect(file.ring.problem(with: newTag, body: body, purpose: .work) == nil)
    }

    @Test func aBrokenRewriteKeepsTheLastGoodRing() throws {
        let key = MessageKeyRing.newKey()
        let path = try keyFile(key)
        let file = try MessageKeyFile(path: path, recheck: .zero)
        let tag = file.ring.tag(body, purpose: .work)
        try replace(path, with: "not a key!\n")
        #expect(file.ring.problem(with: tag, body: body, purpose: .work) == nil)
        #expect(file.problem?.description.contains(":1: not a key") == true)
    }

    @Test func signingTagsAndChecksOnlyTheKindsWithAKey() throws {
        let work = try MessageKeyFile(path: keyFile(MessageKeyRing.newKey()))
        let signing = MessageSigning(work: work)
        let plain = AMQPProperties(contentType: "application/json")
        let tagged = signing.tagged(plain, body: body, purpose: .work)
        #expect(tagged.headers[MessageSigning.tagHeader] != nil)
        #expect(signing.tagged(plain, body: body, purpose: .events).headers.isEmpty)
        try signing.check(body: body, headers: tagged.headers, purpose: .work)
        try signing.check(body: body, headers: [:], purpose: .events)
        #expect(throws: MessageRejection.self) { try signing.check(body: body, headers: [:], purpose: .work) }
        try MessageSigning.unsigned.check(body: body, headers: [:], purpose: .work)
    }
}

extension MessageKeyFileTests {
    @Test func aKeyJustAddedIsAcceptedAtOnceDespiteALongRecheck() throws {
        let old = MessageKeyRing.newKey()
        let new = MessageKeyRing.newKey()
        let path = try keyFile(old)
        let signing = MessageSigning(work: try MessageKeyFile(path: path, recheck: .seconds(3600)))
        try replace(path, with: "\(old)\n\(new)\n")
        let newTag = try MessageKeyRing(parsing: new, source: "new").tag(body, purpose: .work)
        try signing.check(body: body, headers: [MessageSigning.tagHeader: .string(newTag)], purpose: .work)
        // Tags still come from the first key, until the cached ring is looked at again.
        #expect(signing.tagged(AMQPProperties(), body: body, purpose: .work).headers[MessageSigning.tagHeader]?.stringValue?
            .hasPrefix(try MessageKeyRing(parsing: old, source: "old").signingKeyID) == true)
    }
}
