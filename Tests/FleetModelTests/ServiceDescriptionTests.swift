import FleetModel
import Testing

/// What a service declaration says about parameters, read without I/O.
struct ServiceDescriptionTests {
    @Test func aGraphReadsItsOwnParametersNotThoseOfItsCallbacks() {
        let graph: [String: JSONValue] = [
            "load": .object(["process_id": .string("load_collection"), "arguments": .object([
                "spatial_extent": .object(["from_parameter": .string("bbox")]),
                "bands": .array([.object(["from_parameter": .string("band")])]),
            ])]),
            "reduce": .object(["process_id": .string("reduce_dimension"), "arguments": .object([
                "reducer": .object(["process_graph": .object([
                    "mean": .object(["process_id": .string("mean"), "arguments": .object(["data": .object(["from_parameter": .string("data")])]), "result": .bool(true)]),
                ])]),
            ])]),
        ]
        #expect(ServiceDescription.parameters(readBy: graph) == ["band", "bbox"])
    }

    @Test func schemasSayWhichTileInputsTheyTake() {
        func accepted(_ schema: JSONValue?) -> Set<TileInput>? {
            ServiceDescription.Parameter(name: "p", required: true, schema: schema).acceptedTileInputs
        }
        let bbox: JSONValue = .object(["type": .string("object"), "subtype": .string("bounding-box")])
        let geojson: JSONValue = .object(["type": .string("object"), "subtype": .string("geojson")])
        #expect(accepted(bbox) == [.bboxWGS84, .bboxNative])
        #expect(accepted(geojson) == [.geometry, .featureCollection])
        #expect(accepted(.array([bbox, geojson, .object(["type": .string("null")])])) == [.bboxWGS84, .bboxNative, .geometry, .featureCollection])
        #expect(accepted(.object(["format": .string("ogc-bbox")])) == [.bboxWGS84, .bboxNative])
        #expect(accepted(.object(["allOf": .array([.object(["format": .string("geojson-geometry")])])])) == [.geometry, .featureCollection])
        let vectorCube: JSONValue = .object(["type": .string("object"), "subtype": .string("datacube")])
        #expect(accepted(.array([bbox, vectorCube, .object(["type": .string("null")])])) == [.bboxWGS84, .bboxNative])
        #expect(accepted(.object(["type": .string("string")])) == [])
        #expect(accepted(.object(["type": .string("object")])) == nil)
        #expect(accepted(nil) == nil)
    }
}
