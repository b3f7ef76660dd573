import ArgumentParser
import Coordinator
import FleetConfig
import Foundation
import Storage

/// `tilefleet export TASK --geojson FILE`.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a task's tiles with status, attempt, job id and durations as a GeoJSON FeatureCollection.")

    /// Tiles read and turned into features at a time.
    static let pageSize = 10_000

    @Argument(help: "The task id.")
    var task: String

    @Option(help: "The GeoJSON file to write ('-' for stdout).")
    var geojson: String

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let database = try await CoordinatorSupport.database(connection)
        defer { Task { await database.close() } }
        let store = TaskStore(connection: database)
        do {
            try await store.requireTask(task)
            if geojson == "-" {
                _ = try await stream(store) { print($0, terminator: "") }
                return
            }
            var count = 0
            try await FileAccess.save(to: geojson) { write in
                count = try await stream(store) { try write(Data($0.utf8)) }
            }
            CoordinatorSupport.printError("\(count) tiles written to \(geojson)")
        } catch let error as TaskStoreError {
            CoordinatorSupport.printError(error.description)
            throw ExitCode(2)
        } catch let error as FileAccess.Problem {
            CoordinatorSupport.printError("tilefleet export: --geojson \(error)")
            throw ExitCode(2)
        }
    }

    /// Reads the task's tiles a page at a time and hands the collection's text to `emit` as each
    /// page is made (the last piece closes it), so only a page is held; returns the tile count.
    private func stream(_ store: TaskStore, to emit: (String) throws -> Void) async throws -> Int {
        var collection = TileExport.FeatureCollectionText()
        var after: String?
        while true {
            let page = try await store.results(task: task, after: after, limit: Self.pageSize)
            collection.append(page)
            try emit(collection.take())
            guard page.count == Self.pageSize, let last = page.last else { break }
            after = last.tile
        }
        try emit(collection.finished + "\n")
        return collection.count
    }
}
