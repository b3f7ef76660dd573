import ArgumentParser
import Coordinator
import Foundation
import Geo
import HTTP
import Storage
import Backends
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

    @Option(help: "The largest asset downloaded, in MiB (a larger or endless body is stopped and reported).")
    var maxSize: Int64 = 64 * 1024

    @OptionGroup var connection: ConnectionOptions

    /// The largest `--max-size`: 16 TiB, far beyond any asset and far from overflowing bytes.
    static let maxSizeLimit: Int64 = 16 << 20

    func validate() throws {
        guard (1...Self.maxSizeLimit).contains(maxSize) else {
            throw ValidationError("--max-size must be between 1 and \(Self.maxSizeLimit) MiB, not \(maxSize)")
        }
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1, not \(parallel)") }
    }

    func run() async throws {
        // The database is read once and closed before the downloads (not by a task racing the exit).
        let database = try await CoordinatorSupport.database(connection)
        let store = TaskStore(connection: database)
        let tiles: [TileResult]
        let spec: TaskSpec
        do {
            spec = try await store.spec(of: task)
            tiles = try await store.results(task: task)
        } catch let error as TaskStoreError {
            await database.close()
            CoordinatorSupport.printError(error.description)
            throw ExitCode(2)
        } catch {
            await database.close()
            throw error
        }
        await database.close()
        var localFiles: [String: String] = [:]
        var failed = false
        if let download {
            (localFiles, failed) = try await downloadAll(tiles, into: download, backend: spec.backend)
        }
        if let stac {
            let root = URL(fileURLWithPath: stac).standardizedFileURL
            try FileManager.default.createDirectory(at: root.appendingPathComponent("items"), withIntermediateDirectories: true)
            let relative = download.map { Self.relativePath(from: root.path, to: URL(fileURLWithPath: $0).standardizedFileURL.path) }
            let files = relative.map { prefix in localFiles.mapValues { prefix == "." ? $0 : prefix + "/" + $0 } } ?? [:]
            for (name, document) in TileExport.stac(task: task, title: spec.title, tiles: tiles, localFiles: files) {
                try Data((document.canonicalJSON + "\n").utf8).write(to: root.appendingPathComponent(name), options: .atomic)
            }
            CoordinatorSupport.printError("STAC Collection written to \(root.appendingPathComponent("collection.json").path)")
        }
        if download == nil && stac == nil || format != .table {
            let rows: [[String?]] = tiles.flatMap { tile in
                tile.assets.isEmpty
                    ? [[tile.tile, tile.status, String(tile.attempt), tile.backend, nil, nil, nil]]
                    : tile.assets.map { [tile.tile, tile.status, String(tile.attempt), tile.backend, $0.href, $0.type, $0.size.map(String.init)] }
            }
            print(format.render([Report.Table.make(title: "results of \(task)", name: "results",
                                                   columns: ["tile", "status", "attempt", "backend", "href", "type", "size"], rows: rows)]),
                  terminator: "")
        }
        if failed { throw ExitCode(1) }
    }

    /// Relative path from `base` to `target` (both absolute).
    static func relativePath(from base: String, to target: String) -> String {
        let a = base.split(separator: "/"), b = target.split(separator: "/")
        var common = 0
        while common < min(a.count, b.count) && a[common] == b[common] { common += 1 }
        let parts = Array(repeating: "..", count: a.count - common) + b[common...].map(String.init)
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    /// Downloads every fetchable asset (see ``ResultFiles``) with the credentials of the backend its
    /// tile ran on (the task's `backend` for tiles without one), skipping
    /// files already complete; prints each failure with its reason. Returns
    /// ``TileExport/fileKey(tile:href:)`` → path relative to `directory`, and whether any failed.
    private func downloadAll(_ tiles: [TileResult], into directory: String, backend: String) async throws -> ([String: String], Bool) {
        let target: ConfinedDirectory
        do throws(HTTPClientError) {
            target = try ConfinedDirectory(path: directory)
        } catch {
            CoordinatorSupport.printError(error.message)
            throw ExitCode(2)
        }
        let (jobs, refused) = ResultFiles.plan(tiles)
        let client = HTTPClient()
        let backendOf = Dictionary(tiles.map { ($0.tile, $0.backend.isEmpty ? backend : $0.backend) }, uniquingKeysWith: { first, _ in first })
        var made: [String: AssetDownloader] = [:]
        do {
            for name in Set(jobs.map { backendOf[$0.tile] ?? backend }).sorted() {
                made[name] = try makeDownloader(client: client, backend: name)
            }
        } catch {
            await client.shutdown()
            throw error
        }
        let downloaders = made
        let terminal = isatty(2) == 1
        var done = 0, skipped = 0, failures: [String] = []
        var mapping: [String: String] = [:]
        var next = 0
        await withTaskGroup(of: (ResultFiles.Entry, Result<Bool, BackendError>).self) { group in
            func start() {
                guard next < jobs.count else { return }
                let job = jobs[next]
                next += 1
                guard let downloader = downloaders[backendOf[job.tile] ?? backend] else { return }
                group.addTask {
                    if let size = target.existingFileSize(job.path), size > 0, job.size == nil || job.size == size {
                        return (job, .success(false))   // already complete
                    }
                    do throws(BackendError) {
                        _ = try await downloader.fetch(job.href, into: target, path: job.path)
                        return (job, .success(true))
                    } catch {
                        return (job, .failure(error))
                    }
                }
            }
            for _ in 0..<parallel { start() }
            while let (job, outcome) = await group.next() {
                switch outcome {
                case .success(let fetched):
                    if fetched { done += 1 } else { skipped += 1 }
                    mapping[job.key] = job.path.joined(separator: "/")
                case .failure(let error):
                    failures.append("\(job.path.joined(separator: "/")): \(error)")
                }
                if terminal {
                    let finished = done + skipped + failures.count
                    let filled = 30 * finished / max(jobs.count, 1)
                    FileHandle.standardError.write(Data("\r\u{1B}[2K\(String(repeating: "█", count: filled))\(String(repeating: "░", count: 30 - filled)) \(finished)/\(jobs.count)".utf8))
                }
                start()
            }
        }
        await client.shutdown()
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
        CoordinatorSupport.printError("downloaded \(done), already complete \(skipped), failed \(failures.count) of \(jobs.count) assets into \(directory)"
            + (refused.isEmpty ? "" : "; \(refused.count) not fetched"))
        for line in failures.prefix(20) { CoordinatorSupport.printError("  failed: \(TableFormat.oneLine(line))") }
        if failures.count > 20 { CoordinatorSupport.printError("  … and \(failures.count - 20) more failures") }
        for item in refused.prefix(20) { CoordinatorSupport.printError("  not fetched: \(TableFormat.oneLine(item.line))") }
        if refused.count > 20 { CoordinatorSupport.printError("  … and \(refused.count - 20) more not fetched") }
        return (mapping, !failures.isEmpty)
    }

    /// The downloader with the task's backend credentials, or without any when this configuration
    /// does not know the backend (said on stderr).
    private func makeDownloader(client: HTTPClient, backend: String) throws -> AssetDownloader {
        let maxBytes = maxSize * 1024 * 1024
        let fleet = try connection.fleetConfiguration()
        guard let configured = try? fleet.backend(named: backend) else {
            CoordinatorSupport.printError("backend '\(backend)' is not in this configuration: downloading without credentials")
            return AssetDownloader(client: client, backendURL: "", authenticator: nil, maxBytes: maxBytes)
        }
        do {
            var downloader = try configured.makeAssetDownloader(client: client)
            downloader.maxBytes = maxBytes
            return downloader
        } catch {
            CoordinatorSupport.printError("backend '\(backend)': \(error)")
            throw ExitCode(2)
        }
    }
}
