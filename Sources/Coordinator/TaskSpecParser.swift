import FleetConfig
import FleetModel
import Foundation
import Geo
import Yams

/// Turns a task document — tilefleet's own YAML/JSON form, or an APEx Dispatch API upscale-task
/// JSON as it is — into a ``TaskSpec``, reporting every problem at once with its path.
public struct TaskSpecParser: Sendable {
    public var configuration: FleetConfiguration
    /// Relative file references (AOI, process graph) are resolved against this directory.
    public var baseDirectory: String

    public init(configuration: FleetConfiguration, baseDirectory: String = FileManager.default.currentDirectoryPath) {
        self.configuration = configuration
        self.baseDirectory = baseDirectory
    }

    /// Reads and parses the spec at `path`.
    public func load(path: String) throws(ConfigurationError) -> TaskSpec {
        let text: String
        do {
            text = try FileAccess.loadText(path)
        } catch {
            throw ConfigurationError(file: path, problems: [ConfigurationProblem(path: "", message: "cannot read the task spec: \(error.reason)")])
        }
        var parser = self
        parser.baseDirectory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parser.parse(text, file: path)
    }

    static let nativeKeys: Set<String> = [
        "id", "title", "backend", "service", "parameters", "tile", "split", "output_format", "job_options",
        "max_attempts", "max_runtime", "priority", "post_job", "budget", "backends", "retry_elsewhere",
    ]
    static let apexKeys: Set<String> = ["title", "label", "service", "format", "parameters", "dimension", "backend", "id", "max_attempts", "max_runtime", "priority"]

    /// Parses a document (YAML, or JSON, which is YAML too).
    public func parse(_ text: String, file: String = "task") throws(ConfigurationError) -> TaskSpec {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError(file: file, problems: [ConfigurationProblem(path: "", message: "neither YAML nor JSON: \(error)")])
        }
        guard let root, let mapping = root.mapping else {
            throw ConfigurationError(file: file, problems: [ConfigurationProblem(path: "", message: "a task spec must be a mapping (YAML) or an object (JSON)")])
        }
        let reader = ConfigReader()
        let isAPEx = mapping["dimension"] != nil || mapping["label"] != nil || mapping["service"]?.mapping?["application"] != nil
        let spec = isAPEx ? parseAPEx(root, reader) : parseNative(root, reader)
        guard reader.problems.isEmpty, let spec else {
            throw ConfigurationError(file: file, problems: reader.problems)
        }
        return spec
    }

    // MARK: tilefleet's own form

    private func parseNative(_ root: Node, _ reader: ConfigReader) -> TaskSpec? {
        guard let top = reader.mapping(root, "", allowed: Self.nativeKeys) else { return nil }
        let defaults = configuration.defaults
        let title = reader.string(top["title"], "title", required: true)
        let choices = backendChoices(top, reader)
        let backend = choices.map { $0.first?.name } ?? resolveBackend(reader.string(top["backend"], "backend"), node: top["backend"], reader)
        let retryElsewhere = reader.bool(top["retry_elsewhere"], "retry_elsewhere")
        if retryElsewhere == true, choices == nil {
            reader.report("retry_elsewhere", "sends a tile's next attempt to another of the task's backends: give backends: [a, b]", top["retry_elsewhere"])
        }
        let id = taskID(reader.string(top["id"], "id"), title: title, node: top["id"], reader)
        let (process, source, documents) = service(top["service"], reader)
        var parameters = jsonObject(top["parameters"], "parameters", reader)
        for (name, value) in documents { parameters[name] = value }
        let options = jsonObject(top["job_options"], "job_options", reader)
        checkSecrets(parameters, "parameters", reader)
        checkSecrets(options, "job_options", reader)

        var tileInput = defaults.tileInput
        var tileInputGiven = false
        var spatial = "spatial_extent"
        var temporal = "temporal_extent"
        if let tile = reader.mapping(top["tile"], "tile", allowed: ["input", "parameter", "temporal_parameter"]) {
            if let text = reader.string(tile["input"], "tile.input") {
                tileInputGiven = true
                if let value = TileInput(rawValue: text) { tileInput = value } else {
                    let names = TileInput.allCases.map(\.rawValue)
                    let hint = ConfigReader.closest(text, in: names).map { ", did you mean '\($0)'?" } ?? " (expected one of: \(names.joined(separator: ", ")))"
                    reader.report("tile.input", "unknown tile input '\(text)'\(hint)", tile["input"])
                }
            }
            spatial = reader.string(tile["parameter"], "tile.parameter") ?? spatial
            temporal = reader.string(tile["temporal_parameter"], "tile.temporal_parameter") ?? temporal
        }
        let split = parseSplit(top["split"], reader)
        let maxAttempts = reader.int(top["max_attempts"], "max_attempts", minimum: 1) ?? defaults.maxAttempts
        let maxRuntime = top["max_runtime"] != nil ? reader.seconds(top["max_runtime"], "max_runtime") : defaults.maxRuntimeSeconds
        let priority = reader.int(top["priority"], "priority") ?? defaults.priority
        let outputFormat = reader.string(top["output_format"], "output_format") ?? defaults.outputFormat
        let postJob = reader.string(top["post_job"], "post_job")
        let budget = Self.budget(top["budget"], reader)
        if let split, split.dimensions.contains(where: { $0.name == spatial || $0.name == temporal }) {
            reader.report("split.dimensions", "a dimension may not be named like the spatial or temporal parameter ('\(spatial)', '\(temporal)')", top["split"])
        }
        for dimension in split?.dimensions ?? [] {
            checkSecrets(dimension.values, "split.dimensions.\(dimension.name)", reader)
        }
        for (index, name) in (choices?.map(\.name) ?? backend.map { [$0] } ?? []).enumerated() {
            let override = choices?[index].process
            guard let process = override ?? process, let kind = configuration.backends.backends.first(where: { $0.name == name })?.kind else { continue }
            let path = override == nil ? "service" : "backends[\(index)].service"
            let isCommand: Bool
            if case .command = process { isCommand = true } else { isCommand = false }
            if isCommand != (kind == .command) {
                reader.report(path, isCommand ? "a command runs on a command backend; '\(name)' is \(kind.rawValue)"
                                              : "the command backend '\(name)' runs programs: give service.command", top["service"])
            }
        }
        let deploy = deployPackage(top["service"], process: process, backend: backend, reader)
        if deploy != nil, let choices, choices.count > 1 {
            reader.report("service.deploy", "deploying a package works on one backend; this task has \(choices.count) (backends)", top["service"])
        }
        guard let title, let backend, let id, let process, let split else { return nil }
        var spec = TaskSpec(id: id, title: title, backend: backend, process: process, serviceSource: source, parameters: parameters,
                            jobOptions: options, outputFormat: outputFormat, tileInput: tileInput, spatialParameter: spatial,
                            temporalParameter: temporal, split: split, maxAttempts: maxAttempts, maxRuntimeSeconds: maxRuntime,
                            priority: priority, postJob: postJob)
        spec.tileInputGiven = tileInputGiven
        spec.deploy = deploy
        spec.budget = budget
        spec.backends = choices
        spec.retryElsewhere = retryElsewhere == true ? true : nil
        return spec
    }

    /// `backends:`: a list of backend names, or of mappings `{name, weight, service, job_options}`;
    /// nil when the spec has none (then `backend:` holds). Weights are all given or none.
    private func backendChoices(_ top: [String: Node], _ reader: ConfigReader) -> [BackendChoice]? {
        guard let node = top["backends"] else { return nil }
        if top["backend"] != nil {
            reader.report("backends", "give either backend (one) or backends (several), not both", node)
        }
        guard let entries = node.sequence, !entries.isEmpty else {
            reader.report("backends", "expected a list of backend names or {name, weight, service, job_options}", node)
            return nil
        }
        var choices: [BackendChoice] = []
        for (index, entry) in entries.enumerated() {
            let path = "backends[\(index)]"
            if entry.scalar != nil {
                if let name = resolveBackend(reader.string(entry, path), node: entry, reader, path: path) { choices.append(BackendChoice(name: name)) }
                continue
            }
            guard let members = reader.mapping(entry, path, allowed: ["name", "weight", "service", "job_options"]) else { continue }
            guard let given = reader.string(members["name"], "\(path).name", required: true),
                  let name = resolveBackend(given, node: members["name"], reader, path: "\(path).name") else { continue }
            var choice = BackendChoice(name: name, weight: reader.int(members["weight"], "\(path).weight", minimum: 1))
            if let service = members["service"] {
                let (process, source, documents) = self.service(service, reader, path: "\(path).service")
                if !documents.isEmpty { reader.report("\(path).service", "an EOCanvas graph or chain is the task's own: give it in service", service) }
                choice.process = process
                choice.serviceSource = source
            }
            if members["job_options"] != nil {
                let options = jsonObject(members["job_options"], "\(path).job_options", reader)
                checkSecrets(options, "\(path).job_options", reader)
                choice.jobOptions = options
            }
            choices.append(choice)
        }
        let names = choices.map(\.name)
        if let repeated = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            reader.report("backends", "'\(repeated)' is listed more than once", node)
        }
        let weighted = choices.filter { $0.weight != nil }.count
        if weighted != 0, weighted != choices.count {
            reader.report("backends", "give a weight to every backend or to none (none: they are filled in order of preference)", node)
        }
        return choices.count == entries.count ? choices : nil
    }

    /// `service.deploy`: the application package file of `service.process`, for an OGC backend.
    private func deployPackage(_ node: Node?, process: BackendJob.Process?, backend: String?, _ reader: ConfigReader) -> ProcessPackage? {
        guard let deploy = node?.mapping?["deploy"] else { return nil }
        guard case .named(let id, _)? = process, node?.mapping?["process"] != nil else {
            reader.report("service.deploy", "deploys the OGC process named by service.process; give process: <id> with it", deploy)
            return nil
        }
        if let backend, let kind = configuration.backends.backends.first(where: { $0.name == backend })?.kind, kind != .ogc {
            reader.report("service.deploy", "deploying a package is OGC API – Processes Part 2; '\(backend)' is \(kind.rawValue)", deploy)
            return nil
        }
        guard let path = reader.string(deploy, "service.deploy") else { return nil }
        let text: String
        switch readFile(path) {
        case .success(let contents): text = contents
        case .failure(let problem):
            reader.report("service.deploy", "cannot read '\(path)': \(problem.reason)", deploy)
            return nil
        }
        let contentType = ProcessPackage.contentType(path: path, text: text)
        if contentType == "application/ogcapppkg+json" {
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)), value["executionUnit"] != nil else {
                let syntax = JSONSyntax.problem(in: text).map { " (\($0))" } ?? ""
                reader.report("service.deploy", "'\(path)' is not an OGC application package ({processDescription, executionUnit})\(syntax)", deploy)
                return nil
            }
            let named = value["processDescription"]?["id"]?.stringValue ?? value["processDescription"]?["process"]?["id"]?.stringValue
            if let named, named != id {
                reader.report("service.deploy", "'\(path)' deploys the process '\(named)', but service.process is '\(id)'", deploy)
                return nil
            }
        }
        return ProcessPackage(processID: id, contentType: contentType, body: text, source: path)
    }

    /// `budget:`: a positive number of credits.
    static func budget(_ node: Node?, _ reader: ConfigReader) -> Double? {
        guard let node, let value = reader.double(node, "budget") else { return nil }
        guard value > 0 else {
            reader.report("budget", "must be a positive number of credits, got \(node.scalar?.string ?? "\(value)")", node)
            return nil
        }
        return value
    }

    private func service(_ node: Node?, _ reader: ConfigReader, path: String = "service") -> (BackendJob.Process?, String?, [String: JSONValue]) {
        guard let node else {
            reader.report(path, "is required (process_graph, udp, process, function, or command)")
            return (nil, nil, [:])
        }
        guard let members = reader.mapping(node, path, allowed: ["process_graph", "udp", "id", "namespace", "process", "function", "graph", "chain", "command", "deploy"]) else {
            return (nil, nil, [:])
        }
        let kinds = ["process_graph", "udp", "process", "function", "command"].filter { members[$0] != nil }
        guard kinds.count == 1 else {
            reader.report(path, kinds.isEmpty ? "needs one of process_graph (file), udp (URL), process (OGC id), function (EOCanvas) or command (a program)"
                                                   : "give only one of \(kinds.joined(separator: ", "))", node)
            return (nil, nil, [:])
        }
        switch kinds[0] {
        case "process_graph":
            guard let path = reader.string(members["process_graph"], "\(path).process_graph") else { return (nil, nil, [:]) }
            let text: String
            switch readFile(path) {
            case .success(let contents): text = contents
            case .failure(let problem):
                reader.report("\(path).process_graph", "cannot read '\(path)': \(problem.reason)", members["process_graph"])
                return (nil, nil, [:])
            }
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)), case .object(var graph) = value else {
                let syntax = JSONSyntax.problem(in: text).map { " (\($0))" } ?? ""
                reader.report("\(path).process_graph", "'\(path)' is not a JSON object\(syntax)", members["process_graph"])
                return (nil, nil, [:])
            }
            if case .object(let inner)? = graph["process_graph"] { graph = inner }
            return (.processGraph(graph), path, [:])
        case "udp":
            guard let url = reader.string(members["udp"], "\(path).udp") else { return (nil, nil, [:]) }
            guard URL(string: url)?.scheme?.hasPrefix("http") == true else {
                reader.report("\(path).udp", "expected the http(s) URL of the UDP's JSON definition", members["udp"])
                return (nil, nil, [:])
            }
            let id = reader.string(members["id"], "\(path).id") ?? Self.processID(fromURL: url)
            return (.named(id: id, namespace: url), url, [:])
        case "command":
            guard let arguments = reader.strings(members["command"], "\(path).command") else { return (nil, nil, [:]) }
            guard let program = arguments.first, !program.isEmpty else {
                reader.report("\(path).command", "expected a list: the program, then its arguments", members["command"])
                return (nil, nil, [:])
            }
            // Files next to the spec (`python3 tile.py`) are named by their absolute path, as the workers run
            // the program in a directory of its own; they must exist at that path on the workers' hosts.
            let resolved = arguments.map { argument -> String in
                guard !argument.hasPrefix("/"), !argument.hasPrefix("-"), !argument.isEmpty else { return argument }
                let full = URL(fileURLWithPath: baseDirectory).appendingPathComponent(argument).standardizedFileURL.path
                return FileManager.default.fileExists(atPath: full) ? full : argument
            }
            return (.command(resolved), resolved.joined(separator: " "), [:])
        case "process":
            guard let id = reader.string(members["process"], "\(path).process") else { return (nil, nil, [:]) }
            if members["deploy"] != nil, members["namespace"] != nil {
                reader.report("\(path).namespace", "a deployed process has no namespace", members["namespace"])
            }
            return (.named(id: id, namespace: reader.string(members["namespace"], "\(path).namespace")), id, [:])
        default:
            guard let function = reader.string(members["function"], "\(path).function") else { return (nil, nil, [:]) }
            // EOCanvas: the SNAP graph (XML) or Data Tailor chain (YAML) travels as a fixed argument.
            var documents: [String: JSONValue] = [:]
            for (key, argument) in [("graph", "snap_graph"), ("chain", "epct_chain")] {
                guard let path = reader.string(members[key], "\(path).\(key)") else { continue }
                let text: String
                switch readFile(path) {
                case .success(let contents): text = contents
                case .failure(let problem):
                    reader.report("\(path).\(key)", "cannot read '\(path)': \(problem.reason)", members[key])
                    continue
                }
                documents[argument] = .string(text)
            }
            return (.named(id: function, namespace: nil), function, documents)
        }
    }

    static func processID(fromURL url: String) -> String {
        let last = URL(string: url)?.lastPathComponent ?? url
        return last.hasSuffix(".json") ? String(last.dropLast(5)) : last
    }

    private func parseSplit(_ node: Node?, _ reader: ConfigReader) -> TaskSpec.Split? {
        guard let node else {
            reader.report("split", "is required (aoi, grid, and optionally windows and dimensions)")
            return nil
        }
        guard let members = reader.mapping(node, "split", allowed: ["aoi", "grid", "windows", "dimensions", "min_area", "antimeridian"]) else { return nil }
        let antimeridian = reader.bool(members["antimeridian"], "split.antimeridian") ?? false
        let aoi = readAOI(members["aoi"], "split.aoi", antimeridian: antimeridian, reader)
        var grid = configuration.defaults.grid
        if let text = reader.string(members["grid"], "split.grid") {
            if let problem = Self.gridProblem(text) { reader.report("split.grid", problem, members["grid"]) } else {
                grid = (try? TileGrid(parsing: text))?.description ?? text
            }
        }
        var windows: String?
        if let windowsNode = members["windows"] {
            if let list = windowsNode.sequence {
                windows = list.enumerated().compactMap { reader.string($1, "split.windows[\($0)]") }.joined(separator: ",")
            } else {
                windows = reader.string(windowsNode, "split.windows")
            }
            if let text = windows {
                do {
                    // Counted, not made: `months:1-9999` is refused before 120,000 windows exist.
                    let count = try TimeWindowSpec(parsing: text).count
                    if count == 0 { reader.report("split.windows", "'\(text)' gives no windows", windowsNode) }
                    if count > configuration.limits.maxJobs {
                        reader.report("split.windows", "'\(text)' gives \(JobBounds.grouped(count)) windows, each at least one job: "
                                      + "above limits.max_jobs (\(JobBounds.grouped(configuration.limits.maxJobs)))", windowsNode)
                    }
                } catch {
                    reader.report("split.windows", "\(error)", windowsNode)
                }
            }
        }
        let dimensions = parseDimensions(members["dimensions"], reader)
        let minArea = reader.double(members["min_area"], "split.min_area") ?? 0.01
        if minArea < 0 { reader.report("split.min_area", "must be ≥ 0", members["min_area"]) }
        guard let aoi else { return nil }
        return TaskSpec.Split(aoi: aoi.text, aoiSource: aoi.source, grid: grid, windows: windows, dimensions: dimensions, minAreaKm2: minArea,
                              antimeridian: antimeridian)
    }

    private func parseDimensions(_ node: Node?, _ reader: ConfigReader) -> [Geo.Dimension] {
        guard let node else { return [] }
        var result: [Geo.Dimension] = []
        if let mapping = node.mapping {
            for (key, value) in mapping {
                guard let name = key.string else { continue }
                let path = "split.dimensions.\(name)"
                guard let values = value.sequence, !values.isEmpty else {
                    reader.report(path, "expected a non-empty list of values", value)
                    continue
                }
                result.append(Geo.Dimension(name: name, values: values.enumerated().map { reader.json($1, "\(path)[\($0)]") }))
            }
        } else if let list = node.sequence {
            for (index, item) in list.enumerated() {
                let path = "split.dimensions[\(index)]"
                guard let members = reader.mapping(item, path, allowed: ["name", "values"]),
                      let name = reader.string(members["name"], "\(path).name", required: true) else { continue }
                guard let values = members["values"]?.sequence, !values.isEmpty else {
                    reader.report("\(path).values", "expected a non-empty list of values", item)
                    continue
                }
                result.append(Geo.Dimension(name: name, values: values.enumerated().map { reader.json($1, "\(path).values[\($0)]") }))
            }
        } else {
            reader.report("split.dimensions", "expected a list of {name, values} or a mapping name → values", node)
        }
        var seen: Set<String> = []
        for dimension in result where !seen.insert(dimension.name).inserted {
            reader.report("split.dimensions", "'\(dimension.name)' is declared twice", node)
        }
        return result
    }

    /// The AOI text from a file path, inline text (bbox, WKT, GeoJSON) or an inline mapping.
    private func readAOI(_ node: Node?, _ path: String, antimeridian: Bool, _ reader: ConfigReader) -> (text: String, source: String)? {
        guard let node else {
            reader.report(path, "is required: a GeoJSON/WKT file, a bbox 'west,south,east,north' or inline GeoJSON")
            return nil
        }
        let text: String
        let source: String
        if node.mapping != nil {
            text = reader.json(node, path).canonicalJSON
            source = "inline"
        } else if let value = reader.string(node, path) {
            let file = readFile(value)
            if case .success(let contents) = file {
                text = contents
                source = value
            } else if case .failure(let problem) = file, !AOIParser.looksInline(value) {
                let reason = problem.reason == "no such file" ? "no such file: \(value) (and it is not an inline bbox, WKT or GeoJSON)"
                    : "cannot read '\(value)': \(problem.reason)"
                reader.report(path, reason, node)
                return nil
            } else {
                text = value
                source = "inline"
            }
        } else {
            return nil
        }
        do {
            _ = try AOIParser(antimeridian: antimeridian).parse(text)
        } catch {
            reader.report(path, "\(error)", node)
            return nil
        }
        return (text, source)
    }

    // MARK: APEx Dispatch API upscale task

    private func parseAPEx(_ root: Node, _ reader: ConfigReader) -> TaskSpec? {
        guard let top = reader.mapping(root, "", allowed: Self.apexKeys) else { return nil }
        let defaults = configuration.defaults
        let title = reader.string(top["title"], "title", required: true)
        let label = reader.string(top["label"], "label") ?? "openeo"
        if !["openeo", "ogc_api_process"].contains(label) {
            reader.report("label", "unknown label '\(label)' (expected openeo or ogc_api_process)", top["label"])
        }
        var endpoint: String?
        var application: String?
        var namespace: String?
        if let service = reader.mapping(top["service"], "service", allowed: ["endpoint", "application", "namespace"]) {
            endpoint = reader.string(service["endpoint"], "service.endpoint", required: true)
            application = reader.string(service["application"], "service.application", required: true)
            namespace = reader.string(service["namespace"], "service.namespace")
        } else if top["service"] == nil {
            reader.report("service", "is required ({endpoint, application})")
        }
        var backend = reader.string(top["backend"], "backend")
        if backend == nil, let endpoint {
            backend = backendName(forEndpoint: endpoint)
            if backend == nil {
                reader.report("service.endpoint", "no configured backend has the url \(endpoint) (configured: \(configuration.backends.backends.map { "\($0.name) \($0.url)" }.joined(separator: ", "))); "
                              + "add one, or give 'backend' to run it on another (defaults.backend is not used for an endpoint that matches none)", top["service"])
            }
        } else if let name = backend {
            backend = resolveBackend(name, node: top["backend"], reader)
        }
        let parameters = jsonObject(top["parameters"], "parameters", reader)
        checkSecrets(parameters, "parameters", reader)
        var split: TaskSpec.Split?
        var spatialParameter = "spatial_extent"
        if let dimension = reader.mapping(top["dimension"], "dimension", allowed: ["name", "values"]) {
            let name = reader.string(dimension["name"], "dimension.name", required: true) ?? "spatial_extent"
            let values = (dimension["values"]?.sequence ?? []).enumerated().map { reader.json($1, "dimension.values[\($0)]") }
            if values.isEmpty { reader.report("dimension.values", "expected a non-empty list", top["dimension"]) }
            if Self.spatialDimensions.contains(name) {
                spatialParameter = name
                var features: [JSONValue] = []
                for (index, value) in values.enumerated() {
                    guard let geometry = Self.geometry(from: value) else {
                        reader.report("dimension.values[\(index)]", "expected a GeoJSON geometry or a bbox {west, south, east, north}")
                        continue
                    }
                    features.append(.object(["type": .string("Feature"), "properties": .object([:]), "geometry": geometry]))
                }
                let collection = JSONValue.object(["type": .string("FeatureCollection"), "features": .array(features)]).canonicalJSON
                split = TaskSpec.Split(aoi: collection, aoiSource: "dimension.values", grid: "features")
            } else if parameters[name] == nil {
                let known = Self.spatialDimensions + parameters.keys.sorted()
                let hint = ConfigReader.closest(name, in: known).map { ", did you mean '\($0)'?" } ?? ""
                reader.report("dimension.name", "unknown dimension '\(name)'\(hint) (a dimension is one of \(Self.spatialDimensions.joined(separator: ", ")) "
                              + "or a parameter given in 'parameters', whose value it replaces per job)", top["dimension"])
            } else if let extent = parameters["spatial_extent"], let geometry = Self.geometry(from: extent) {
                let collection = JSONValue.object(["type": .string("FeatureCollection"), "features": .array([
                    .object(["type": .string("Feature"), "properties": .object([:]), "geometry": geometry]),
                ])]).canonicalJSON
                split = TaskSpec.Split(aoi: collection, aoiSource: "parameters.spatial_extent", grid: "features",
                                       dimensions: values.isEmpty ? [] : [Geo.Dimension(name: name, values: values)])
            } else {
                reader.report("dimension.name", "'\(name)' is not spatial and parameters has no spatial_extent to run it on", top["dimension"])
            }
        } else if top["dimension"] == nil {
            reader.report("dimension", "is required ({name, values})")
        }
        if let aoi = split?.aoi {
            do { _ = try AOIParser().parse(aoi) } catch { reader.report("dimension.values", "\(error)") }
        }
        var fixed = parameters
        fixed.removeValue(forKey: spatialParameter)
        let id = taskID(reader.string(top["id"], "id"), title: title, node: top["id"], reader)
        let process: BackendJob.Process? = application.map { url in
            label == "openeo" ? .named(id: Self.processID(fromURL: url), namespace: namespace ?? url) : .named(id: Self.processID(fromURL: url), namespace: namespace)
        }
        let maxAttempts = reader.int(top["max_attempts"], "max_attempts", minimum: 1) ?? defaults.maxAttempts
        let maxRuntime = top["max_runtime"] != nil ? reader.seconds(top["max_runtime"], "max_runtime") : defaults.maxRuntimeSeconds
        let priority = reader.int(top["priority"], "priority") ?? defaults.priority
        guard let title, let backend, let id, let process, let split else { return nil }
        return TaskSpec(id: id, title: title, backend: backend, process: process, serviceSource: application, parameters: fixed,
                        outputFormat: reader.string(top["format"], "format") ?? defaults.outputFormat, tileInput: .geometry,
                        spatialParameter: spatialParameter, split: split, maxAttempts: maxAttempts,
                        maxRuntimeSeconds: maxRuntime, priority: priority)
    }

    /// APEx dimension names that split the area: one job per geometry.
    static let spatialDimensions = ["spatial_extent", "geometry", "geometries"]

    /// A GeoJSON geometry, or a polygon from an openEO bbox `{west, south, east, north}`.
    static func geometry(from value: JSONValue) -> JSONValue? {
        guard case .object(let members) = value else { return nil }
        if members["type"]?.stringValue == "Feature", let geometry = members["geometry"] { return geometry }
        if members["type"] != nil, members["coordinates"] != nil { return value }
        if let west = members["west"]?.numberValue, let south = members["south"]?.numberValue,
           let east = members["east"]?.numberValue, let north = members["north"]?.numberValue {
            let ring: [JSONValue] = [[west, south], [east, south], [east, north], [west, north], [west, south]].map { .array($0.map { .number($0) }) }
            return .object(["type": .string("Polygon"), "coordinates": .array([.array(ring)])])
        }
        return nil
    }

    private func backendName(forEndpoint endpoint: String) -> String? {
        let host = URL(string: endpoint)?.host
        let matching = configuration.backends.backends.filter { URL(string: $0.url)?.host == host }
        if matching.count == 1 { return matching[0].name }
        // Several backends on the endpoint's host: the default if it is one of them.
        if let name = configuration.defaults.backend, matching.contains(where: { $0.name == name }) { return name }
        return matching.first?.name
    }

    // MARK: Shared pieces

    private func resolveBackend(_ name: String?, node: Node?, _ reader: ConfigReader, path: String = "backend") -> String? {
        let known = configuration.backends.backends.map(\.name)
        guard let name = name ?? configuration.defaults.backend else {
            reader.report("backend", "is required (no defaults.backend in the fleet configuration)")
            return nil
        }
        guard known.contains(name) else {
            let hint = ConfigReader.closest(name, in: known).map { ", did you mean '\($0)'?" }
                ?? (known.isEmpty ? " (the fleet configuration has no backends: pass --config)" : " (configured: \(known.joined(separator: ", ")))")
            reader.report(path, "unknown backend '\(name)'\(hint)", node)
            return nil
        }
        return name
    }

    private func taskID(_ explicit: String?, title: String?, node: Node?, _ reader: ConfigReader) -> String? {
        if let explicit {
            guard explicit.range(of: "^[a-z0-9][a-z0-9_-]{0,62}$", options: .regularExpression) != nil else {
                reader.report("id", "'\(explicit)' must be 1–63 characters of a–z, 0–9, '-' and '_' (no dots: it is part of routing keys)", node)
                return nil
            }
            return explicit
        }
        guard let title else { return nil }
        let slug = title.lowercased().map { $0.isLetter && $0.isASCII || $0.isNumber && $0.isASCII ? String($0) : "-" }.joined()
            .split(separator: "-").joined(separator: "-").prefix(40)
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return (slug.isEmpty ? "task" : String(slug)) + "-" + suffix
    }

    private func jsonObject(_ node: Node?, _ path: String, _ reader: ConfigReader) -> [String: JSONValue] {
        guard let node else { return [:] }
        guard node.mapping != nil else {
            reader.report(path, "expected a mapping of name → value", node)
            return [:]
        }
        guard case .object(let members) = reader.json(node, path) else { return [:] }
        return members
    }

    static let secretWords = ["password", "passwd", "secret", "token", "api_key", "apikey", "api-key", "credential",
                              "authorization", "private_key", "access_key"]

    /// Secrets never go into `tasks.spec` or messages: they belong in the fleet configuration as
    /// references. Keys that name one and values that look like one are refused at any depth.
    private func checkSecrets(_ object: [String: JSONValue], _ path: String, _ reader: ConfigReader) {
        checkSecrets(.object(object), path, reader)
    }

    private func checkSecrets(_ values: [JSONValue], _ path: String, _ reader: ConfigReader) {
        checkSecrets(.array(values), path, reader)
    }

    private func checkSecrets(_ value: JSONValue, _ path: String, _ reader: ConfigReader) {
        for problem in Self.secretProblems(value, path: path) {
            reader.report(problem.path, "\(problem.why); secrets are never stored with a task — configure them on the backend (auth: …_env / …_file)")
        }
    }

    /// Where `value` holds something that looks like a secret, and why, depth first.
    static func secretProblems(_ value: JSONValue, path: String) -> [(path: String, why: String)] {
        switch value {
        case .object(let members):
            return members.keys.sorted().flatMap { key -> [(path: String, why: String)] in
                let child = "\(path).\(key)"
                if secretWords.contains(where: key.lowercased().contains) { return [(child, "the key '\(key)' names a secret")] }
                return secretProblems(members[key]!, path: child)
            }
        case .array(let items):
            return items.enumerated().flatMap { secretProblems($1, path: "\(path)[\($0)]") }
        case .string(let text):
            return looksLikeSecret(text).map { [(path, "the value looks like \($0)")] } ?? []
        default:
            return []
        }
    }

    /// What kind of secret `text` looks like: an HTTP credential, a JWT or a well-known key format.
    static func looksLikeSecret(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let lower = trimmed.lowercased()
        if lower.hasPrefix("bearer ") || lower.hasPrefix("basic ") { return "an Authorization header" }
        if trimmed.range(of: "^eyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*$", options: .regularExpression) != nil { return "a JSON Web Token" }
        if trimmed.range(of: "^(gh[pousr]_[A-Za-z0-9]{20,}|sk-[A-Za-z0-9_-]{20,}|AKIA[0-9A-Z]{16}|xox[abpr]-[A-Za-z0-9-]{10,})$", options: .regularExpression) != nil {
            return "an access key"
        }
        if trimmed.range(of: "^[a-z][a-z0-9+.-]*://[^/@:\\s]+:[^/@\\s]+@", options: .regularExpression) != nil { return "a URL with a password" }
        return nil
    }

    /// A file named in the spec, relative to its directory.
    private func readFile(_ path: String) -> Result<String, FileAccess.Problem> {
        let full = path.hasPrefix("/") ? path : URL(fileURLWithPath: baseDirectory).appendingPathComponent(path).path
        return Result { () throws(FileAccess.Problem) in try FileAccess.loadText(full) }
    }

    /// Why `text` is not a grid, with a suggestion (`unknown grid 'km20', did you mean 'km:20'?`); nil if it is one.
    public static func gridProblem(_ text: String) -> String? {
        do {
            _ = try TileGrid(parsing: text)
            return nil
        } catch {
            let lower = text.lowercased().replacingOccurrences(of: " ", with: "")
            var suggestion: String?
            if let match = lower.range(of: "^km[-_=]?[0-9.]+$", options: .regularExpression) {
                suggestion = "km:" + lower[match].drop { !$0.isNumber }
            } else if lower.range(of: "^[0-9.]+km$", options: .regularExpression) != nil {
                suggestion = "km:" + lower.dropLast(2)
            } else if let close = ConfigReader.closest(lower, in: ["mgrs", "mgrs:s2", "features"]) {
                suggestion = close
            }
            if let suggestion { return "unknown grid '\(text)', did you mean '\(suggestion)'?" }
            return "unknown grid '\(text)' (expected km:<size>, 20x20km, crs:<EPSG>:<size>, mgrs, mgrs:s2, features or group:<grid>)"
        }
    }
}
