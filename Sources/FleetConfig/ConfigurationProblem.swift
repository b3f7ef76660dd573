/// One mistake in a task spec, the fleet configuration or a job file: the dotted path of the key
/// (`split.grid`, `backends[1].auth.method`), what is wrong, and the line when known.
public struct ConfigurationProblem: Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var line: Int?

    public init(path: String, message: String, line: Int? = nil) {
        self.path = path
        self.message = message
        self.line = line
    }

    public var description: String {
        let location = line.map { " (line \($0))" } ?? ""
        return path.isEmpty ? "\(message)\(location)" : "\(path): \(message)\(location)"
    }
}
