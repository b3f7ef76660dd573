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

    @Argument(help: "The task id.")
    var task: String

    @Option(help: "The GeoJSON file to write ('-' for stdout).")
    var geojson: String

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let database = try await CoordinatorSupport.database(connection)
        defer { Task { await database.close() } }
        let tiles: [TileResult]
        do {
            tiles = try await TaskStore(connection: database).results(task: task)
        } catch let error as TaskStoreError {
            CoordinatorSupport.printError(error.description)
            throw ExitCode(2)
        }
        let text = TileExport.featureCollection(tiles).canonicalJSON + "\n"
        if geojson == "-" {
            print(text, terminator: "")
        } else {
            do {
                try FileAccess.save(Data(text.utf8), to: geojson)
            } catch {
                CoordinatorSupport.printError("tilefleet export: --geojson \(error)")
                throw ExitCode(2)
            }
            CoordinatorSupport.printError("\(tiles.count) tiles written to \(geojson)")
        }
    }
}
