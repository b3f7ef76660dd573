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
        var collection = TileExport.FeatureCollectionText()
        do {
            var after: String?
            while true {
                let page = try await TaskStore(connection: database).results(task: task, after: after, limit: Self.pageSize)
                collection.append(page)
                guard page.count == Self.pageSize, let last = page.last else { break }
                after = last.tile
            }
        } catch let error as TaskStoreError {
            CoordinatorSupport.printError(error.description)
            throw ExitCode(2)
        }
        let text = collection.finished + "\n"
        if geojson == "-" {
            print(text, terminator: "")
        } else {
            do {
                try FileAccess.save(Data(text.utf8), to: geojson)
            } catch {
                CoordinatorSupport.printError("tilefleet export: --geojson \(error)")
                throw ExitCode(2)
            }
            CoordinatorSupport.printError("\(collection.count) tiles written to \(geojson)")
        }
    }
}
