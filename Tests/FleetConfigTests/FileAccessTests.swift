import Foundation
import Testing
@testable import FleetConfig

/// File errors name the path and the reason in plain words.
@Suite struct FileAccessTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("file-access-\(UUID().uuidString)").path

    @Test func aFileLockIsHeldByOneAtATimeAndASecretFileIsWrittenOwnerOnly() async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let lock = try await FileLock.acquire("\(directory)/x.lock")
        // A second holder waits: within a short timeout it gives up, naming the lock.
        await #expect(throws: FileAccess.Problem(path: "\(directory)/x.lock", writing: true,
                                                 reason: "another process has held its lock for more than 0.2 seconds")) {
            _ = try await FileLock.acquire("\(directory)/x.lock", timeout: .milliseconds(200))
        }
        lock.release()
        let again = try await FileLock.acquire("\(directory)/x.lock", timeout: .milliseconds(200))
        again.release()
        try FileAccess.save(Data("secret".utf8), to: "\(directory)/token.json", mode: 0o600)
        let mode = try #require((try FileManager.default.attributesOfItem(atPath: "\(directory)/token.json")[.posixPermissions] as? NSNumber)?.intValue)
        #expect(mode & 0o777 == 0o600)
    }

    @Test func readingNamesPathAndReason() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: FileAccess.Problem(path: "\(directory)/none.yaml", writing: false, reason: "no such file")) {
            try FileAccess.load("\(directory)/none.yaml")
        }
        #expect(throws: FileAccess.Problem(path: "\(directory)/gone/x.yaml", writing: false, reason: "no such directory '\(directory)/gone'")) {
            try FileAccess.load("\(directory)/gone/x.yaml")
        }
        #expect(throws: FileAccess.Problem(path: directory, writing: false, reason: "it is a directory, not a file")) {
            try FileAccess.load(directory)
        }
        try Data([0xff, 0xfe, 0x00]).write(to: URL(fileURLWithPath: "\(directory)/binary"))
        #expect(throws: FileAccess.Problem(path: "\(directory)/binary", writing: false, reason: "it is not UTF-8 text")) {
            try FileAccess.loadText("\(directory)/binary")
        }
        #expect(FileAccess.Problem(path: "a.yaml", writing: false, reason: "permission denied").description == "a.yaml: cannot read: permission denied")
    }

    @Test func writingIsAtomicAndNamesPathAndReason() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/out.geojson"
        let big = Data(repeating: UInt8(ascii: "x"), count: 200_000)
        try FileAccess.save(big, to: path)
        try FileAccess.save(Data("second".utf8), to: path)
        #expect(try FileAccess.loadText(path) == "second")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["out.geojson"])
        #expect(throws: FileAccess.Problem(path: "\(directory)/no/out.geojson", writing: true, reason: "no such directory '\(directory)/no'")) {
            try FileAccess.save(big, to: "\(directory)/no/out.geojson")
        }
        #expect(throws: FileAccess.Problem(path: directory, writing: true, reason: "it is a directory")) {
            try FileAccess.save(big, to: directory)
        }
    }

    @Test func aFileWrittenPieceByPieceAppearsWholeOrNotAtAll() async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/out.geojson"
        try await FileAccess.save(to: path) { write in
            for piece in ["{", "\"a\":1", "}"] {
                try write(Data(piece.utf8))
                // Nothing is at the path until the whole file is there.
                #expect(!FileManager.default.fileExists(atPath: path))
            }
        }
        #expect(try FileAccess.loadText(path) == #"{"a":1}"#)
        struct Stop: Error {}
        await #expect(throws: Stop.self) {
            try await FileAccess.save(to: path) { write in
                try write(Data("half".utf8))
                throw Stop()
            }
        }
        #expect(try FileAccess.loadText(path) == #"{"a":1}"#)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["out.geojson"])
        await #expect(throws: FileAccess.Problem(path: "\(directory)/no/out.geojson", writing: true, reason: "no such directory '\(directory)/no'")) {
            try await FileAccess.save(to: "\(directory)/no/out.geojson") { write in try write(Data("x".utf8)) }
        }
    }

    @Test func aMissingConfigurationIsNamedWithItsReason() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            _ = try FleetConfiguration.load(explicit: "\(directory)/fleet.yaml", environment: [:], gridCheck: { _ in nil })
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.description == "\(directory)/fleet.yaml: cannot read the fleet configuration: no such file")
        }
    }
}
