import Coordinator
import FleetConfig
import FleetModel
import Foundation
import TestSupport
import Testing

/// The preflight's judgement of a task against what its service declares, without any I/O.
struct TaskPreflightTests {
    static func spec(_ yaml: String) throws -> TaskSpec {
        try TaskSpecParser(configuration: TaskFixtures.configuration()).parse(yaml)
    }

    static let base = """
        title: preflight
        backend: sim
        service: { process: p }
        split: { aoi: "4.0,50.3,4.1,50.4", grid: km:10 }
        """

    static let bboxSchema: JSONValue = .object(["type": .string("object"), "subtype": .string("bounding-box")])
    static let geojsonSchema: JSONValue = .object(["type": .string("object"), "subtype": .string("geojson")])

    @Test func aTileParameterTheServiceLacksIsAProblemNamingWhatItHas() throws {
        let description = ServiceDescription(service: "the process graph", parameters: [.init(name: "bbox", required: true)])
        let check = TaskPreflight(spec: try Self.spec(Self.base), description: description)
        let text = check.problems.map(\.description)
        #expect(text.contains("tile.parameter: the process graph has no parameter 'spatial_extent': the tile would not reach the job (its parameters: bbox)"), "\(text)")
        #expect(text.contains("parameters: the process graph requires 'bbox', which neither the parameters nor the tile give"), "\(text)")
    }

    @Test func unknownParametersGetADidYouMeanAndEveryProblemIsReported() throws {
        let description = ServiceDescription(service: "the UDP x", parameters: [
            .init(name: "spatial_extent", required: true), .init(name: "bands", required: true), .init(name: "cloud_cover", required: false),
        ])
        let spec = try Self.spec("""
            title: preflight
            backend: sim
            service: { process: p }
            parameters: { bandz: [B04], cloud_cover: 20 }
            split: { aoi: "4.0,50.3,4.1,50.4", grid: km:10, windows: 2023-05-01/2023-06-01 }
            """)
        let text = TaskPreflight(spec: spec, description: description).problems.map(\.description)
        #expect(text.contains("parameters.bandz: the UDP x has no parameter 'bandz', did you mean 'bands'?"), "\(text)")
        #expect(text.contains { $0.hasPrefix("tile.temporal_parameter: the UDP x has no parameter 'temporal_extent'") }, "\(text)")
        #expect(text.contains("parameters: the UDP x requires 'bands', which neither the parameters nor the tile give (is 'bandz' in parameters meant to be it?)"), "\(text)")
        #expect(text.count == 3, "\(text)")
    }

    @Test func aTaskTheServiceTakesHasNoProblem() throws {
        let description = ServiceDescription(service: "the UDP x", parameters: [
            .init(name: "spatial_extent", required: true, schema: Self.geojsonSchema), .init(name: "threshold", required: false),
        ])
        let check = TaskPreflight(spec: try Self.spec(Self.base + "\nparameters: { threshold: 3 }"), description: description)
        #expect(check.problems.isEmpty)
        #expect(check.chosenTileInput == nil)
    }

    @Test func aBoundingBoxParameterGetsABoundingBoxUnlessTheSpecInsistsOnAGeometry() throws {
        let description = ServiceDescription(service: "the UDP x", parameters: [.init(name: "spatial_extent", required: true, schema: Self.bboxSchema)])
        let chosen = TaskPreflight(spec: try Self.spec(Self.base), description: description)
        #expect(chosen.problems.isEmpty)
        #expect(chosen.chosenTileInput == .bboxWGS84)

        let insisted = TaskPreflight(spec: try Self.spec(Self.base + "\ntile: { input: geometry }"), description: description)
        #expect(insisted.chosenTileInput == nil)
        #expect(insisted.problems.map(\.description) == [
            "tile.input: 'geometry' does not match the schema of 'spatial_extent' in the UDP x, which takes bbox, bbox-native",
        ])
    }

    @Test func aParameterThatTakesNoAreaIsAProblem() throws {
        let description = ServiceDescription(service: "the OGC process hello-world", parameters: [
            .init(name: "name", required: true, schema: .object(["type": .string("string")])),
        ])
        let text = TaskPreflight(spec: try Self.spec(Self.base + "\ntile: { parameter: name }"), description: description).problems.map(\.description)
        #expect(text == [#"tile.parameter: 'name' of the OGC process hello-world does not take an area (its schema: {"type":"string"})"#])
    }

    @Test func aJobFilesArgumentsAreCheckedUnderTheirOwnKeys() {
        let description = ServiceDescription(service: "the process p", parameters: [
            .init(name: "spatial_extent", required: true), .init(name: "bands", required: false),
        ])
        let text = TaskPreflight(jobArguments: ["spatial_extnt": .null, "bands": .array([])], description: description).problems.map(\.description)
        #expect(text == [
            "arguments.spatial_extnt: the process p has no parameter 'spatial_extnt', did you mean 'spatial_extent'?",
            "arguments: the process p requires 'spatial_extent', which the arguments do not give",
        ])
    }

    @Test func aFixedParameterOfTheWrongJSONTypeIsAProblem() throws {
        let description = ServiceDescription(service: "the UDP x", parameters: [
            .init(name: "spatial_extent", required: true),
            .init(name: "bands", required: false, schema: .array([.object(["type": .string("array")]), .object(["type": .string("null")])])),
            .init(name: "threshold", required: false, schema: .object(["type": .string("integer")])),
        ])
        let text = TaskPreflight(spec: try Self.spec(Self.base + "\nparameters: { bands: B04, threshold: 2.5 }"), description: description).problems.map(\.description)
        #expect(text == [
            #"parameters.bands: "B04" does not match the schema of 'bands' in the UDP x: [{"type":"array"},{"type":"null"}]"#,
            #"parameters.threshold: 2.5 does not match the schema of 'threshold' in the UDP x: {"type":"integer"}"#,
        ])
        let fine = TaskPreflight(spec: try Self.spec(Self.base + "\nparameters: { bands: [B04], threshold: 3 }"), description: description)
        #expect(fine.problems.isEmpty)
    }
}
