import ArgumentParser
import Coordinator
import FleetConfig
import FleetModel
import Foundation
import Geo

/// `tilefleet tiles`: cut an area of interest into tiles, print the figures, write GeoJSON.
struct TilesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tiles",
        abstract: "Cut an area of interest into tiles and write them as a GeoJSON FeatureCollection.",
        discussion: """
        AOI: a file (GeoJSON Polygon/MultiPolygon/Feature/FeatureCollection, or WKT), '-' for stdin, \
        or inline text: a bbox 'west,south,east,north' (WGS84), WKT ('EPSG:32630;POLYGON((…))') or GeoJSON. \
        Negative numbers work as typed ('tilefleet tiles -9.5,38.6,-8.9,39.0', '--min-area -1' is refused \
        as out of range, not as a missing value). A bbox with west > east is an error unless --antimeridian \
        says it crosses the antimeridian.

        Grids: km:<size> (true-size squares per UTM zone; ids like 32633-E580-N5320), \
        crs:<EPSG>:<size> or crs:<EPSG>:<W>x<H>@<res>, mgrs, mgrs:s2, features, \
        group:<grid>[,max_features:<n>]. APEx's 20x20km / 250x250km are accepted as km:20 / km:250: \
        unlike APEx (cells cut in EPSG:3857 from the AOI's corner, 13.4 km wide at 48°N) they are \
        20 km on the ground and aligned to the UTM zone, so ids do not move with the AOI.

        Job preview: --windows (e.g. seasons:2016-2023, years:2020-2023, months:2023, \
        2023-05-01/2023-09-30) and --dimension name=v1,v2 (repeatable) print the job count of \
        tiles × windows × values and, with --format json, the first job as an example.

        Bounds: the cells and jobs are counted before any is made; above limits.max_jobs of the fleet \
        configuration (default: a quarter of the machine's memory at 2 kB a job, at least 100,000) the command stops with the count and a larger grid to use, \
        above limits.confirm_jobs (default 100,000) it needs --yes.

        Invalid input, or an area that gives no tile: a message naming the feature index and the \
        problem on stderr, exit status 2, nothing written.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, geojson
    }

    @Argument(help: "The area of interest: a file, '-' for stdin, or an inline bbox / WKT / GeoJSON.")
    var aoi: String

    @Option(help: "The grid: km:20, 20x20km, crs:32631:4096x4096@10, mgrs, mgrs:s2, features, group:km:20.")
    var grid: String = "km:20"

    @Option(name: .customLong("min-area"), help: "Drop pieces smaller than this many km² (reported as slivers).")
    var minArea: Double = 0.01

    @Option(help: "Write the tiles as a GeoJSON FeatureCollection to this file.")
    var out: String?

    @Option(help: "What to print: table (figures and tiles), json (figures and tiles without geometry), geojson.")
    var format: Format = .table

    @Option(help: "EPSG code of WKT given without an 'EPSG:<code>;' prefix.")
    var crs: Int = 4326

    @Option(name: .customLong("max-features"), help: "With group:<grid>: at most this many samples per job.")
    var maxFeatures: Int?

    @Option(help: "Time windows for the job preview: seasons:2016-2023, years:2020-2023, months:2023, quarters:2020, or YYYY-MM-DD/YYYY-MM-DD[,…].")
    var windows: String?

    @Option(name: .customLong("dimension"), help: "A job dimension for the preview, name=v1,v2 (repeatable).")
    var dimensions: [String] = []

    @Flag(help: "A bbox with west > east crosses the antimeridian (without it, such a bbox is an error).")
    var antimeridian = false

    @Flag(help: "Go ahead with more jobs than limits.confirm_jobs of the fleet configuration.")
    var yes = false

    @Option(name: .customLong("config"), help: "The fleet configuration whose limits apply (default: $TILEFLEET_CONFIG, else ./tilefleet.yaml).")
    var config: String?

    mutating func run() async throws {
        let limits: JobLimits
        do {
            limits = try FleetConfiguration.load(explicit: config).limits
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(2)
        }
        let result: TilingResult
        var matrix: JobMatrix?
        do {
            let windowSpec = try windows.map { try TimeWindowSpec(parsing: $0) }
            let dimensionList = try dimensions.map { try Dimension(parsing: $0) }
            let perCell = try JobBounds.jobsPerCell(windows: windowSpec?.count ?? 0, dimensionValueCounts: dimensionList.map(\.values.count),
                                                    maxJobs: limits.maxJobs)
            let windowList = try windowSpec.map { try Self.windows(of: $0, spelled: windows ?? "") } ?? []
            let parsed = try AOIParser(wktEPSG: crs, antimeridian: antimeridian).parse(try readAOI())
            for note in parsed.notes {
                CoordinatorSupport.printError("tilefleet tiles: note: \(note)")
            }
            var tileGrid = try TileGrid(parsing: grid)
            if let maxFeatures {
                guard case .group(let inner, _) = tileGrid, maxFeatures > 0 else {
                    throw GeoValidationError(.invalidGrid("--max-features needs a group:<grid> and a count ≥ 1"))
                }
                tileGrid = .group(inner, maxFeatures: maxFeatures)
            }
            guard minArea >= 0, minArea.isFinite else { throw GeoValidationError(.malformed("--min-area must be a number ≥ 0 (km²), not \(minArea)")) }
            let bounds = JobBounds(maxJobs: limits.maxJobs, confirmJobs: yes ? nil : limits.confirmJobs, jobsPerCell: perCell)
            result = try Tiler(options: TilingOptions(minimumAreaKm2: minArea, bounds: bounds)).tiles(for: parsed, grid: tileGrid)
            try bounds.check(cells: result.tiles.count, grid: tileGrid, approximate: false)
            if windows != nil || !dimensionList.isEmpty {
                matrix = try JobMatrix(tiles: result.tiles, windows: windowList, dimensions: dimensionList)
            }
        } catch let error as GeoValidationError {
            CoordinatorSupport.printError(error.commandLineMessage(command: "tilefleet tiles"))
            throw ExitCode(2)
        }
        if let out {
            do {
                try FileAccess.save(Data(result.geoJSON.utf8), to: out)
            } catch {
                CoordinatorSupport.printError("tilefleet tiles: --out \(error)")
                throw ExitCode(2)
            }
        }
        switch format {
        case .geojson:
            print(result.geoJSON, terminator: "")
        case .json:
            var summary = result.summary
            if case .object(var members) = summary {
                members["tiles"] = .array(result.tiles.map { tile in
                    .object([
                        "id": .string(tile.id), "epsg": .number(Double(tile.epsg)), "zone": .string(tile.zone),
                        "area_km2": .number((tile.areaKm2 * 1e6).rounded() / 1e6), "full_cell": .bool(tile.fullCell),
                        "bbox": tile.bboxWGS84.jsonValue, "bbox_native": tile.bboxNative.jsonValue,
                    ])
                })
                if let matrix { members["jobs"] = try Self.jobPreview(matrix) }
                summary = .object(members)
            }
            print(summary.canonicalJSON)
        case .table:
            printTable(result, matrix: matrix)
        }
    }

    static func windows(of spec: TimeWindowSpec, spelled: String) throws -> [TimeWindow] {
        let windows = spec.windows
        guard !windows.isEmpty else {
            throw GeoValidationError(.invalidTimeWindow("'\(spelled)': no windows"))
        }
        return windows
    }

    /// Count and first job of the Cartesian product, as JSON.
    static func jobPreview(_ matrix: JobMatrix) throws -> JSONValue {
        var members: [String: JSONValue] = [
            "count": .number(Double(matrix.count)),
            "tiles": .number(Double(matrix.tiles.count)),
            "windows": .number(Double(max(matrix.windows.count, 1))),
            "dimensions": .object(Dictionary(uniqueKeysWithValues: matrix.dimensions.map { ($0.name, JSONValue.number(Double($0.values.count))) })),
        ]
        if matrix.count > 0 {
            let job = try matrix.job(at: 0)
            var example: [String: JSONValue] = ["key": .string(job.key), "tile_id": .string(job.tileID)]
            if let window = job.window { example["window"] = .string(window.label) }
            if !job.values.isEmpty { example["values"] = .object(job.values) }
            var parameters = job.parameters
            parameters[matrix.spatialParameter] = .string("<\(matrix.tileInput.rawValue) of \(job.tileID)>")
            example["parameters"] = .object(parameters)
            members["example"] = .object(example)
        }
        return .object(members)
    }

    private func readAOI() throws -> String {
        if aoi == "-" {
            return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        if FileManager.default.fileExists(atPath: aoi) {
            do {
                return try FileAccess.loadText(aoi)
            } catch {
                throw GeoValidationError(.malformed(error.description))
            }
        }
        guard AOIParser.looksInline(aoi) else {
            throw GeoValidationError(.malformed("no such file: \(aoi) (and it is not an inline bbox, WKT or GeoJSON)"))
        }
        return aoi
    }

    private func printTable(_ result: TilingResult, matrix: JobMatrix?) {
        func format(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
        print("grid            \(result.grid)")
        print("tiles           \(result.tiles.count) (\(result.tiles.filter(\.fullCell).count) full cells)")
        print("AOI area        \(format(result.aoiAreaKm2, 3)) km² (geodesic, WGS84)")
        print("tiles' area     \(format(result.totalAreaKm2, 3)) km²")
        print("dropped slivers \(result.droppedSliverCount) (\(format(result.droppedSliverAreaKm2, 6)) km² below \(minArea) km²)")
        print("per zone        " + result.countsByZone.map { "\($0.zone): \($0.count)" }.joined(separator: ", "))
        if let out { print("written         \(out)") }
        if let matrix {
            let factors = ["\(matrix.tiles.count) tiles"] + (matrix.windows.isEmpty ? [] : ["\(matrix.windows.count) windows"])
                + matrix.dimensions.map { "\($0.values.count) \($0.name)" }
            print("jobs            \(matrix.count) (\(factors.joined(separator: " × ")))")
        }
        print("")
        print("id".padding(toLength: 24, withPad: " ", startingAt: 0) + "crs         area_km2   full")
        for tile in result.tiles {
            print(
                tile.id.terminalSafe.padding(toLength: 24, withPad: " ", startingAt: 0)
                    + "EPSG:\(tile.epsg)".padding(toLength: 12, withPad: " ", startingAt: 0)
                    + format(tile.areaKm2, 3).padding(toLength: 11, withPad: " ", startingAt: 0)
                    + (tile.fullCell ? "yes" : "no")
            )
        }
    }
}
