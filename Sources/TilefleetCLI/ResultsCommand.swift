import ArgumentParser
import Coordinator
import Foundation
import Geo
import HTTP
import Storage
#if canImport(Glibc)
import Glibc
#endif

/// `tilefleet results TASK`: list, download and catalogue result assets.
struct ResultsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "results",
        abstract: "List a task's result assets; download them (parallel, skipping complete files); write a STAC Collection.")

    @Argument(help: "The task id.")
    var task: String

    @Option(help: "table, csv or json.")
    var format: TableFormat = .table

    @Option(help: "Download every asset into this directory (<tile>/<file>); files already complete are skipped.")
    var download: String?

    @Option(help: "Write a STAC Collection (collection.json + items/<tile>.json) into this directory.")
    var stac: String?

    @Option(help: "Parallel downloads.")
    var parallel = 4

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let database = try await CoordinatorSupport.database(connection)
        defer { Task { await database.close() } }
        let store = TaskStore(connection: database)
        let tiles: [TileResult]
        let spec: TaskSpec
        do {
            spec = try await store.spec(of: task)
            tiles = try await store.results(task: task)
        } catch let error as TaskStoreError {
            CoordinatorSupport.printError(error.description)
            throw ExitCode(2)
        }
        var localFiles: [String: String] = [:]
        if let download {
            localFiles = try await downloadAll(tiles, into: download)
        }
        if let stac {
            let root = URL(fileURLWithPath: stac)
            try FileManager.default.createDirectory(at: root.appendingPathComponent("items"), withIntermediateDirectories: true)
            let relative = download.map { Self.relativePath(from: root.path, to: URL(fileURLWithPath: $0).path) }
            let files = relative.map { prefix in localFiles.mapValues { prefix + "/" + $0 } } ?? [:]
            for (name, document) in TileExport.stac(task: task, title: spec.title, tiles: tiles, localFiles: files) {
                try Data((document.canonicalJSON + "\n").utf8).write(to: root.appendingPathComponent(name), options: .atomic)
            }
            CoordinatorSupport.printError("STAC Collection written to \(root.appendingPathComponent("collection.json").path)")
        }
        if download == nil && stac == nil || format != .table {
            let rows: [[String?]] = tiles.flatMap { tile in
                tile.assets.isEmpty
                    ? [[tile.tile, tile.status, String(tile.attempt), nil, nil, nil]]
                    : tile.assets.map { [tile.tile, tile.status, String(tile.attempt), $0.href, $0.type, $0.size.map(String.init)] }
            }
            print(format.render([Report.Table.make(title: "results of \(task)", name: "results", columns: ["tile", "status", "attempt", "href", "type", "size"], rows: rows)]),
                  terminator: "")
        }
    }

    /// Relative path from `base` to `target` (both absolute).
    static func relativePath(from base: String, to target: String) -> String {
        let a = base.split(separator: "/"), b = target.split(separator: "/")
        var common = 0
        while common < min(a.count, b.count) && a[common] == b[common] { common += 1 }
        let parts = Array(repeating: "..", count: a.count - common) + b[common...].map(String.init)
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    /// Downloads every asset; returns ``TileExport/fileKey(tile:href:)`` → path relative to `directory`.
    private func downloadAll(_ tiles: [TileResult], into directory: String) async throws -> [String: String] {
        let root = URL(fileURLWithPath: directory)
        var jobs: [(key: String, href: String, relative: String, size: Int64?)] = []
        for tile in tiles {
            for (index, asset) in tile.assets.enumerated() {
                let name = URL(string: asset.href)?.lastPathComponent.nilIfEmptyName ?? "asset-\(index)"
                jobs.append((TileExport.fileKey(tile: tile.tile, href: asset.href), asset.href, "\(tile.tile)/\(name)", asset.size))
            }
        }
        let client = HTTPClient()
        defer { Task { await client.shutdown() } }
        let terminal = isatty(2) == 1
        var done = 0, skipped = 0, failed: [String] = []
        var mapping: [String: String] = [:]
        var next = 0
        try await withThrowingTaskGroup(of: (String, String, Bool?).self) { group in
            func start() throws {
                guard next < jobs.count else { return }
                let job = jobs[next]
                next += 1
                let destination = root.appendingPathComponent(job.relative)
                try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
                group.addTask {
                    if let attributes = try? FileManager.default.attributesOfItem(atPath: destination.path),
                       let size = attributes[.size] as? Int64, job.size == nil || job.size == size, size > 0 {
                        return (job.key, job.relative, nil)   // already complete
                    }
                    let result = try? await client.download(HTTPClient.Request(job.href, timeout: .seconds(3600)), to: destination)
                    return (job.key, job.relative, result?.file != nil)
                }
            }
            for _ in 0..<max(1, parallel) { try start() }
            while let (key, relative, outcome) = try await group.next() {
                switch outcome {
                case nil: skipped += 1; mapping[key] = relative
                case true?: done += 1; mapping[key] = relative
                case false?: failed.append(key)
                }
                let finished = done + skipped + failed.count
                if terminal {
                    let filled = 30 * finished / max(jobs.count, 1)
                    FileHandle.standardError.write(Data("\r\u{1B}[2K\(String(repeating: "█", count: filled))\(String(repeating: "░", count: 30 - filled)) \(finished)/\(jobs.count)".utf8))
                }
                try start()
            }
        }
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
        CoordinatorSupport.printError("downloaded \(done), already complete \(skipped), failed \(failed.count) of \(jobs.count) assets into \(directory)")
        for href in failed.prefix(10) { CoordinatorSupport.printError("  failed: \(href)") }
        if !failed.isEmpty { throw ExitCode(1) }
        return mapping
    }
}

extension String {
    fileprivate var nilIfEmptyName: String? { isEmpty || self == "/" ? nil : self }
}
