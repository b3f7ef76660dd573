import Backends
import FleetModel
import Foundation
import Testing

/// The pure parts of the command backend: job ids, directory names, the program's environment,
/// the words for how a program ended.
@Suite struct CommandBackendShapeTests {
    @Test func aJobIDNamesTheHostAndTheKeysDirectory() throws {
        let id = CommandBackend.jobID(host: "worker-3", idempotencyKey: "tilefleet:cologne:32632-X137-Y2197:2")
        #expect(id == "worker-3/tilefleet%3Acologne%3A32632-X137-Y2197%3A2")
        let parsed = try #require(CommandBackend.parse(jobID: id))
        #expect(parsed.host == "worker-3")
        #expect(parsed.name == "tilefleet%3Acologne%3A32632-X137-Y2197%3A2")
        #expect(CommandBackend.parse(jobID: "no-slash") == nil)
        #expect(CommandBackend.parse(jobID: "h/../etc") == nil)
        #expect(CommandBackend.parse(jobID: "h/a/b") == nil)
        #expect(CommandBackend.parse(jobID: "/name") == nil)
        #expect(CommandBackend.parse(jobID: "h/..") == nil)
    }

    @Test func directoryNamesNeverEscapeTheWorkDirectory() {
        #expect(CommandJobDirectory.name(for: "../../etc") == "%2E%2E%2F%2E%2E%2Fetc")
        #expect(CommandJobDirectory.name(for: ".") == "%2E")
        #expect(CommandJobDirectory.name(for: "a.b_c-D9") == "a%2Eb_c-D9")
        #expect(CommandJobDirectory.name(for: "ü/x") == "%C3%BC%2Fx")
        // Different keys, different directories.
        #expect(CommandJobDirectory.name(for: "a:b") != CommandJobDirectory.name(for: "a_b"))
    }

    @Test func theTileReachesTheProgramAsVariables() {
        let environment = CommandBackend.environment(for: [
            "spatial_extent": .object(["west": .number(357_120), "south": .number(5_623_040), "east": .number(359_680), "north": .number(5_625_600),
                                       "crs": .number(32632)]),
            "temporal_extent": .array([.string("2023-05-01"), .string("2023-09-30")]),
            "band": .string("B04"),
            "scale": .number(0.5),
        ])
        #expect(environment["TILEFLEET_BBOX"] == "357120,5623040,359680,5625600")
        #expect(environment["TILEFLEET_CRS"] == "EPSG:32632")
        #expect(environment["TILEFLEET_WINDOW"] == "2023-05-01/2023-09-30")
        #expect(environment["TILEFLEET_ARG_BAND"] == "B04")
        #expect(environment["TILEFLEET_ARG_SCALE"] == "0.5")
        #expect(environment["TILEFLEET_ARG_SPATIAL_EXTENT"]?.contains("\"west\":357120") == true)
        #expect(environment["TILEFLEET_GEOMETRY"] == nil)
    }

    @Test func aGeometryArgumentBecomesTheGeometryInWGS84() {
        let ring: [[Double]] = [[6.9, 50.9], [7.0, 50.9], [7.0, 51.0], [6.9, 50.9]]
        let polygon = JSONValue.object(["type": .string("Polygon"),
                                        "coordinates": .array([.array(ring.map { .array($0.map(JSONValue.number)) })])])
        let environment = CommandBackend.environment(for: ["geometry": polygon, "odd name!": .bool(true)])
        #expect(environment["TILEFLEET_GEOMETRY"] == polygon.canonicalJSON)
        #expect(environment["TILEFLEET_CRS"] == "EPSG:4326")
        #expect(environment["TILEFLEET_BBOX"] == nil)
        #expect(environment["TILEFLEET_ARG_ODD_NAME_"] == "true")
    }

    @Test func howAProgramEndedIsSaidInWords() {
        #expect(CommandJobRecord.endText(exitStatus: 0, limits: (nil, nil)) == "exited with status 0")
        #expect(CommandJobRecord.endText(exitStatus: 3, limits: (nil, nil)) == "exited with status 3")
        #expect(CommandJobRecord.endText(exitStatus: 128 + SIGXCPU, limits: (60, nil)) == "killed by SIGXCPU: the CPU time limit of 60 s was exceeded")
        #expect(CommandJobRecord.endText(exitStatus: 127, limits: (nil, nil)).contains("not found"))
        #expect(CommandJobRecord.endText(exitStatus: 128 + SIGSEGV, limits: (nil, 1 << 30)).contains("memory limit"))
    }

    @Test func mediaTypesComeFromTheExtension() {
        #expect(CommandBackend.mediaType(of: "tile.geojson") == "application/geo+json")
        #expect(CommandBackend.mediaType(of: "sub/ndvi.TIF") == "image/tiff; application=geotiff")
        #expect(CommandBackend.mediaType(of: "README") == nil)
    }
}
