import Geo

extension BackendJob {
    /// A job for one entry of a job matrix: the spec's parameters (spatial and temporal extent,
    /// dimension values, tile properties) become the process arguments, on top of `fixedArguments`.
    public init(
        spec: JobSpec,
        process: Process,
        fixedArguments: [String: JSONValue] = [:],
        title: String? = nil,
        options: [String: JSONValue] = [:],
        outputFormat: String? = nil
    ) {
        var arguments = fixedArguments
        for (name, value) in spec.parameters {
            arguments[name] = value
        }
        self.init(
            process: process,
            arguments: arguments,
            title: title ?? "tile \(spec.tileID)",
            options: options,
            outputFormat: outputFormat
        )
    }
}
