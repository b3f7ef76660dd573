import FleetConfig
import FleetModel
import Geo

/// Checks a task against what its service declares (``ServiceDescription``) before anything is
/// stored: names the service does not have (with "did you mean"), required parameters nobody gives, a
/// tile or temporal parameter the service lacks (the tile would be silently dropped), and a tile
/// input its schema cannot take. Pure: the description is fetched by the caller.
public struct TaskPreflight: Sendable {
    /// Every problem, each with the spec key to fix.
    public var problems: [ConfigurationProblem]
    /// The tile input chosen from the spatial parameter's schema when the spec named none and its
    /// default does not fit; nil when the spec's input stands.
    public var chosenTileInput: TileInput?

    /// Tile inputs in order of preference when one has to be chosen.
    static let preference: [TileInput] = [.geometry, .bboxWGS84, .bboxNative, .featureCollection]

    /// `tileArguments`: the argument names a tile's job gets beyond the spec's own (feature properties).
    public init(spec: TaskSpec, description: ServiceDescription, tileArguments: [String] = []) {
        var problems: [ConfigurationProblem] = []
        var chosen: TileInput?
        let declared = description.parameters.map(\.name)
        let service = description.service

        func unknown(_ name: String) -> String {
            if let close = ConfigReader.closest(name, in: declared.filter { $0 != name }) {
                return ", did you mean '\(close)'?"
            }
            return declared.isEmpty ? " (it declares no parameters)" : " (its parameters: \(declared.joined(separator: ", ")))"
        }

        var supplied = Set(tileArguments).union([spec.spatialParameter])
        if let spatial = description.parameter(named: spec.spatialParameter) {
            if let accepted = spatial.acceptedTileInputs {
                if accepted.isEmpty {
                    problems.append(ConfigurationProblem(path: "tile.parameter",
                        message: "'\(spec.spatialParameter)' of \(service) does not take an area (its schema: \(spatial.schema?.canonicalJSON ?? "none"))"))
                } else if !accepted.contains(spec.tileInput) {
                    let names = Self.preference.filter(accepted.contains).map(\.rawValue).joined(separator: ", ")
                    if spec.tileInputGiven == true {
                        problems.append(ConfigurationProblem(path: "tile.input",
                            message: "'\(spec.tileInput.rawValue)' does not match the schema of '\(spec.spatialParameter)' in \(service), which takes \(names)"))
                    } else {
                        chosen = Self.preference.first(where: accepted.contains)
                    }
                }
            }
        } else {
            problems.append(ConfigurationProblem(path: "tile.parameter",
                message: "\(service) has no parameter '\(spec.spatialParameter)': the tile would not reach the job\(unknown(spec.spatialParameter))"))
        }
        if spec.split.windows != nil {
            supplied.insert(spec.temporalParameter)
            if description.parameter(named: spec.temporalParameter) == nil {
                problems.append(ConfigurationProblem(path: "tile.temporal_parameter",
                    message: "\(service) has no parameter '\(spec.temporalParameter)': the time windows would not reach the job\(unknown(spec.temporalParameter))"))
            }
        }
        for dimension in spec.split.dimensions {
            supplied.insert(dimension.name)
            if description.parameter(named: dimension.name) == nil {
                problems.append(ConfigurationProblem(path: "split.dimensions.\(dimension.name)",
                    message: "\(service) has no parameter '\(dimension.name)'\(unknown(dimension.name))"))
            }
        }
        for name in spec.parameters.keys.sorted() {
            supplied.insert(name)
            guard let parameter = description.parameter(named: name) else {
                problems.append(ConfigurationProblem(path: "parameters.\(name)", message: "\(service) has no parameter '\(name)'\(unknown(name))"))
                continue
            }
            if let value = spec.parameters[name], parameter.accepts(value) == false {
                problems.append(ConfigurationProblem(path: "parameters.\(name)",
                    message: "\(value.canonicalJSON.prefix(60)) does not match the schema of '\(name)' in \(service): \(parameter.schema?.canonicalJSON.prefix(200) ?? "")"))
            }
        }
        let unknownGiven = spec.parameters.keys.filter { description.parameter(named: $0) == nil }
        for parameter in description.parameters where parameter.required && !supplied.contains(parameter.name) {
            let hint = ConfigReader.closest(parameter.name, in: unknownGiven).map { " (is '\($0)' in parameters meant to be it?)" } ?? ""
            problems.append(ConfigurationProblem(path: "parameters",
                message: "\(service) requires '\(parameter.name)', which neither the parameters nor the tile give\(hint)"))
        }
        self.problems = problems
        self.chosenTileInput = chosen
    }

    /// The check of a job file's arguments (`try --job`): names the service does not have, and
    /// required parameters the arguments do not give, each under `arguments.<name>`.
    public init(jobArguments: [String: JSONValue], description: ServiceDescription) {
        let declared = description.parameters.map(\.name)
        var problems: [ConfigurationProblem] = []
        for name in jobArguments.keys.sorted() where description.parameter(named: name) == nil {
            let hint = ConfigReader.closest(name, in: declared).map { ", did you mean '\($0)'?" }
                ?? (declared.isEmpty ? " (it declares no parameters)" : " (its parameters: \(declared.joined(separator: ", ")))")
            problems.append(ConfigurationProblem(path: "arguments.\(name)", message: "\(description.service) has no parameter '\(name)'\(hint)"))
        }
        for parameter in description.parameters where parameter.required && jobArguments[parameter.name] == nil {
            problems.append(ConfigurationProblem(path: "arguments", message: "\(description.service) requires '\(parameter.name)', which the arguments do not give"))
        }
        self.problems = problems
        self.chosenTileInput = nil
    }
}
