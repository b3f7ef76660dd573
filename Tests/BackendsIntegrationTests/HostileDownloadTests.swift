import Backends
import Coordinator
import FleetModel
import Foundation
import HTTP
import Simulator
import Storage
import TestSupport
import Testing

/// `results --download`'s two halves — ``ResultFiles`` (where each file goes) and ``AssetDownloader``
/// (fetching it) — against a hostile backend on real sockets (``HostileRoutes``): what it sends may
/// land only inside the download directory, and its credentials only on its own origin.
@Suite struct HostileDownloadTests {
    static let login = "Bearer basic//sesame"

    /// Runs `body` with the hostile backend, a second server on another origin (its `/capture`
    /// records who called), a client and a scratch directory `outer` holding the download directory.
    static func withHostileBackend(
        _ body: (_ client: HTTPClient, _ origin: String, _ hostile: HostileRoutes, _ away: HostileRoutes, _ outer: URL) async throws -> Void
    ) async throws {
        let awayRoutes = HostileRoutes(authorization: nil)
        let awayServer = SimulatorServer { awayRoutes.register(on: $0, away: "") }
        let awayPort = try await awayServer.start()
        let hostile = HostileRoutes(authorization: Self.login)
        let outer = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outer, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: outer) }
        do {
            try await withLoopbackServer(SimulatorServer { hostile.register(on: $0, away: "http://127.0.0.1:\(awayPort)/capture") },
                                         client: .init(timeout: .seconds(10))) { client, origin in
                try await body(client, origin, hostile, awayRoutes, outer)
            }
        } catch {
            await awayServer.stop()
            throw error
        }
        await awayServer.stop()
    }

    static func downloader(_ client: HTTPClient, _ origin: String) -> AssetDownloader {
        AssetDownloader(client: client, backendURL: origin + "/openeo", authenticator: StaticAuthenticator(header: Secret(Self.login)),
                        maxBytes: 1 << 20, timeout: .seconds(10))
    }

    /// The assets as the recorder stores them: through the openEO adapter (which screens them) into a tile.
    static func tile(_ client: HTTPClient, _ origin: String) async throws -> TileResult {
        let transport = BackendTransport(client: client, authenticator: StaticAuthenticator(header: Secret(Self.login)))
        let assets = try await OpenEOBackend(name: "hostile", baseURL: origin + "/openeo", transport: transport).results(of: "j1")
        return TileResult(task: "t", tile: "../../tile", cellID: nil, windowStart: nil, windowEnd: nil, geometry: nil, areaKm2: nil,
                          status: "finished", attempt: 1, backendJobID: "j1", lastError: nil, dispatchedAt: nil, submittedAt: nil,
                          startedAt: nil, finishedAt: nil,
                          assets: assets.map { .init(href: $0.href, type: $0.mediaType, roles: $0.roles, title: $0.title ?? $0.name, size: $0.size.map(Int64.init)) })
    }

    /// Every path below `directory` (relative), without following links.
    static func tree(_ directory: URL) -> [String] {
        (FileManager.default.enumerator(atPath: directory.path)?.allObjects as? [String] ?? []).sorted()
    }

    @Test("a hostile backend's assets land inside the download directory or fail with a reason; other schemes are never fetched")
    func everythingStaysInside() async throws {
        try await Self.withHostileBackend { client, origin, hostile, away, outer in
            let tile = try await Self.tile(client, origin)
            let (entries, refused) = ResultFiles.plan([tile])
            #expect(refused.map(\.reason) == ["file", "script"].map {
                AssetLink.rejectionNote(name: $0, reason: "the scheme '\($0 == "file" ? "file" : "javascript")' is not fetched (only http, https and data)")
            }, "the file: and javascript: hrefs became notes when they arrived")
            #expect(!tile.assets.contains { $0.href.hasPrefix("file:") || $0.href.hasPrefix("javascript:") })

            let root = outer.appendingPathComponent("downloads")
            let target = try ConfinedDirectory(path: root.path)
            let downloader = Self.downloader(client, origin)
            var failures: [String: String] = [:]
            for entry in entries {
                do {
                    _ = try await downloader.fetch(entry.href, into: target, path: entry.path)
                } catch {
                    failures[entry.path[1]] = "\(error)"
                }
            }
            #expect(Self.tree(outer).allSatisfy { $0 == "downloads" || $0.hasPrefix("downloads/") }, "nothing outside the download directory")
            #expect(!FileManager.default.fileExists(atPath: "/tmp/tilefleet-escaped-absolute.txt"))
            let files = ["_tmp_tilefleet-escaped-absolute.txt", "redirect", "_.._escaped-backslash.txt", "bell___2Jname.txt", "asset-5",
                         "capture", "redirect-2", "inline.txt", "_.._escaped-traversal.txt", "result.tif", "result-2.tif"]
            #expect(Self.tree(root) == (["_.._tile"] + files.map { "_.._tile/" + $0 }).sorted())

            let file = { (name: String) in try String(contentsOf: root.appendingPathComponent("_.._tile/\(name)"), encoding: .utf8) }
            let traversal = try file("_.._escaped-traversal.txt")
            #expect(traversal.hasPrefix("/files/") && traversal.hasSuffix("escaped-traversal.txt"), "fetched with the login")
            #expect(try file("inline.txt") == "inline result", "a data: URL is decoded to a file")
            #expect(try file("capture") == "captured")
            #expect(try file("redirect") == "captured")
            #expect(try file("redirect-2") == "/files/home.txt", "a redirect on the backend's own origin keeps the login")

            #expect(failures["huge"]?.contains("announces 1099511627776 bytes, more than the limit of 1048576") == true, "\(failures)")
            #expect(failures["endless"]?.contains("exceeds the limit of 1048576 bytes") == true, "\(failures)")
            #expect(failures.count == 2, "\(failures)")

            #expect(hostile.seen.filter { $0.path.hasPrefix("/files/") }.allSatisfy { $0.authorization == Self.login })
            #expect(away.seen.map(\.path) == ["/capture", "/capture"], "one direct link, one redirect")
            #expect(away.seen.allSatisfy { $0.authorization == nil }, "the login never reaches another origin, directly or by redirect")
        }
    }

    @Test("a symbolic link planted in the download directory is refused, never followed")
    func symbolicLinksAreNotFollowed() async throws {
        try await Self.withHostileBackend { client, origin, _, _, outer in
            let root = outer.appendingPathComponent("downloads")
            let elsewhere = outer.appendingPathComponent("elsewhere")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("tile"), withDestinationURL: elsewhere)
            let target = try ConfinedDirectory(path: root.path)
            let downloader = Self.downloader(client, origin)
            await #expect {
                _ = try await downloader.fetch(origin + "/files/a.txt", into: target, path: ["tile", "a.txt"])
            } throws: { error in
                "\(error)".contains("refusing \(root.path)/tile: it is a symbolic link or not a directory")
            }
            #expect(Self.tree(elsewhere).isEmpty)

            // A link at the file's own name is replaced by the file, and its target left alone.
            let victim = elsewhere.appendingPathComponent("victim.txt")
            try Data("untouched".utf8).write(to: victim)
            try FileManager.default.createDirectory(at: root.appendingPathComponent("other"), withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("other/b.txt"), withDestinationURL: victim)
            #expect(target.existingFileSize(["other", "b.txt"]) == nil, "a link is not taken for a complete file")
            _ = try await downloader.fetch(origin + "/files/b.txt", into: target, path: ["other", "b.txt"])
            #expect(try String(contentsOf: victim, encoding: .utf8) == "untouched")
            let type = try FileManager.default.attributesOfItem(atPath: root.appendingPathComponent("other/b.txt").path)[.type] as? FileAttributeType
            #expect(type == .typeRegular)
            #expect(try String(contentsOf: root.appendingPathComponent("other/b.txt"), encoding: .utf8) == "/files/b.txt")

            for bad in [["..", "x"], ["a/b"], ["", "x"], ["tile\u{0}", "x"]] {
                await #expect(throws: BackendError.self) { _ = try await downloader.fetch(origin + "/files/c.txt", into: target, path: bad) }
            }
            #expect(Self.tree(outer).allSatisfy { $0 == "downloads" || $0.hasPrefix("downloads/") || $0.hasPrefix("elsewhere") })
        }
    }

    @Test("without the backend's login an asset link fails with the server's reason and the URL")
    func failuresSayWhy() async throws {
        try await Self.withHostileBackend { client, origin, _, _, outer in
            let anonymous = AssetDownloader(client: client, backendURL: origin + "/openeo", authenticator: nil, maxBytes: 1 << 20)
            let target = try ConfinedDirectory(path: outer.appendingPathComponent("d").path)
            await #expect {
                _ = try await anonymous.fetch(origin + "/files/a.txt", into: target, path: ["a.txt"])
            } throws: { error in
                "\(error)" == "authentication failed: GET \(origin)/files/a.txt answered 401: AuthenticationRequired: log in first"
            }
            await #expect {
                _ = try await anonymous.fetch("file:///etc/passwd", into: target, path: ["p"])
            } throws: { error in
                "\(error)".contains("refused asset link: the scheme 'file' is not fetched")
            }
            #expect(Self.tree(outer.appendingPathComponent("d")).isEmpty, "no partial or temporary file is left")
        }
    }
}
