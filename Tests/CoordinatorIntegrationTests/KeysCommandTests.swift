import Foundation
import Messaging
import Testing
import TestSupport

/// `tilefleet keys`: new, add, promote, retire, list — each an atomic rewrite of a 0600 file.
@Suite struct KeysCommandTests {
    func tilefleet(_ arguments: [String]) throws -> (Int32, String) {
        try TestEnvironment.run([TestEnvironment.tilefleetBinary] + arguments)
    }

    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    @Test func aRotationRunsThroughItsThreeSteps() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/work.key"

        var (status, output) = try tilefleet(["keys", "new", file])
        #expect(status == 0, "\(output)")
        #expect(try mode(file) == 0o600)
        let first = try MessageKeyFile(path: file).ring
        #expect(first.keyIDs.count == 1)
        (status, output) = try tilefleet(["keys", "new", file])
        #expect(status == 2)
        #expect(output.contains("exists"))

        (status, output) = try tilefleet(["keys", "add", file])
        #expect(status == 0, "\(output)")
        let added = try MessageKeyFile(path: file).ring
        #expect(added.signingKeyID == first.signingKeyID)
        #expect(added.keyIDs.count == 2)

        (status, output) = try tilefleet(["keys", "promote", file])
        #expect(status == 0, "\(output)")
        let promoted = try MessageKeyFile(path: file).ring
        #expect(promoted.keyIDs == [added.keyIDs[1], first.signingKeyID])

        (status, output) = try tilefleet(["keys", "list", file])
        #expect(output == "\(promoted.keyIDs[0])  signs\n\(first.signingKeyID)  accepted\n")
        #expect(!output.contains(try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")[1]), "list never prints a key")

        (status, output) = try tilefleet(["keys", "retire", file])
        #expect(status == 0, "\(output)")
        #expect(try MessageKeyFile(path: file).ring.keyIDs == [promoted.signingKeyID])
        #expect(try mode(file) == 0o600)
    }

    @Test func aKeyFileOthersMayReadIsRefusedWithExit2() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: file, contents: Data(MessageKeyRing.newKey().utf8), attributes: [.posixPermissions: 0o644])
        defer { try? FileManager.default.removeItem(atPath: file) }
        let (status, output) = try tilefleet(["keys", "add", file])
        #expect(status == 2)
        #expect(output.contains("may be read by other users (mode 644); chmod 600 it"))
    }
}
