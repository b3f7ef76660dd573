/// What a processing service declares it takes, read before a task is stored so that the task can be
/// checked against it: an openEO UDP's `parameters`, an OGC process's `inputs`, or the
/// `from_parameter` names a process graph reads.
public struct ServiceDescription: Sendable, Hashable {
    /// One declared parameter.
    public struct Parameter: Sendable, Hashable {
        public var name: String
        /// Whether a job must give it (no default, not optional, OGC `minOccurs` ≥ 1).
        public var required: Bool
        /// The JSON Schema (openEO: one schema or a list of alternatives), if declared.
        public var schema: JSONValue?

        public init(name: String, required: Bool, schema: JSONValue? = nil) {
            self.name = name
            self.required = required
            self.schema = schema
        }

        /// The tile inputs whose values this parameter's schema accepts; nil when the schema does
        /// not say (no schema, or one that accepts any object).
        public var acceptedTileInputs: Set<TileInput>? {
            guard let schema else { return nil }
            return Self.tileInputs(accepted: schema)
        }

        /// Whether `value`'s JSON type is one the schema's `type`s allow; nil when the schema names
        /// no types (then anything may do).
        public func accepts(_ value: JSONValue) -> Bool? {
            guard let schema, let types = Self.types(in: schema) else { return nil }
            switch value {
            case .null: return types.contains("null")
            case .bool: return types.contains("boolean")
            case .number(let number): return types.contains("number") || (types.contains("integer") && number.rounded() == number)
            case .string: return types.contains("string")
            case .array: return types.contains("array")
            case .object: return types.contains("object")
            }
        }

        /// The JSON types a schema (or its alternatives) names; nil when one alternative names none.
        static func types(in schema: JSONValue) -> Set<String>? {
            if let alternatives = schema.arrayValue ?? schema["anyOf"]?.arrayValue ?? schema["oneOf"]?.arrayValue {
                var all: Set<String> = []
                for alternative in alternatives {
                    guard let types = self.types(in: alternative) else { return nil }
                    all.formUnion(types)
                }
                return all
            }
            switch schema["type"] {
            case .string(let type)?: return [type]
            case .array(let types)?: return Set(types.compactMap(\.stringValue))
            default: return nil
            }
        }

        static func tileInputs(accepted schema: JSONValue) -> Set<TileInput>? {
            if let alternatives = schema.arrayValue {
                let sets = alternatives.map { self.tileInputs(accepted: $0) }
                if sets.contains(where: { $0 == nil }) { return nil }
                return sets.reduce(into: Set<TileInput>()) { $0.formUnion($1 ?? []) }
            }
            for key in ["anyOf", "oneOf", "allOf"] {
                if let alternatives = schema[key]?.arrayValue {
                    return self.tileInputs(accepted: .array(alternatives))
                }
            }
            let subtype = (schema["subtype"]?.stringValue ?? "").lowercased()
            let format = (schema["format"]?.stringValue ?? "").lowercased()
            let reference = (schema["$ref"]?.stringValue ?? "").lowercased()
            let mediaType = (schema["contentMediaType"]?.stringValue ?? "").lowercased()
            if !subtype.isEmpty, !["bounding-box", "geojson"].contains(subtype) {
                return []  // another openEO subtype (datacube, …): no tile input is one
            }
            if subtype == "bounding-box" || format == "ogc-bbox" || reference.contains("bbox") {
                return [.bboxWGS84, .bboxNative]
            }
            if subtype == "geojson" || format.hasPrefix("geojson") || mediaType.contains("geo+json") || reference.contains("geojson")
                || reference.contains("geometry") {
                return format == "geojson-feature-collection" ? [.featureCollection] : [.geometry, .featureCollection]
            }
            switch schema["type"] {
            case .string(let type)? where type != "object":
                return []
            case .array(let types)? where !types.contains(.string("object")):
                return []
            default:
                return nil
            }
        }
    }

    /// What was described, for messages: `UDP https://…/x.json`, `OGC process hello-world`, `the process graph`.
    public var service: String
    public var parameters: [Parameter]

    public init(service: String, parameters: [Parameter]) {
        self.service = service
        self.parameters = parameters
    }

    public func parameter(named name: String) -> Parameter? {
        parameters.first { $0.name == name }
    }

    /// The parameters a process graph reads (`{"from_parameter": name}`) outside its callbacks'
    /// own process graphs, whose parameters (`x`, `data`, …) the callback's caller fills.
    public static func parameters(readBy graph: [String: JSONValue]) -> [String] {
        var names: Set<String> = []
        func visit(_ value: JSONValue) {
            switch value {
            case .object(let members):
                if members.count == 1, let name = members["from_parameter"]?.stringValue {
                    names.insert(name)
                    return
                }
                for (key, member) in members where key != "process_graph" {
                    visit(member)
                }
            case .array(let items):
                items.forEach(visit)
            default:
                break
            }
        }
        graph.values.forEach(visit)
        return names.sorted()
    }
}
