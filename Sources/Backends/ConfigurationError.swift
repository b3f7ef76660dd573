/// A mistake in the fleet configuration, naming the key (`backends[1].auth.method`) and the line.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The dotted path of the offending key.
    public var path: String
    /// What is wrong.
    public var message: String
    /// The line in the file, when known.
    public var line: Int?

    public init(path: String, message: String, line: Int? = nil) {
        self.path = path
        self.message = message
        self.line = line
    }

    public var description: String {
        let location = self.line.map { " (line \($0))" } ?? ""
        return self.path.isEmpty ? "\(self.message)\(location)" : "\(self.path): \(self.message)\(location)"
    }
}
