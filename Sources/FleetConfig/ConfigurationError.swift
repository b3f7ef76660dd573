/// Every problem found in one document, reported together so a user fixes them in one go.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// The file the problems are in (or a description such as `inline`; empty when there is none).
    public var file: String
    public var problems: [ConfigurationProblem]

    public init(file: String, problems: [ConfigurationProblem]) {
        self.file = file
        self.problems = problems
    }

    /// A single problem.
    public init(file: String = "", path: String, message: String, line: Int? = nil) {
        self.init(file: file, problems: [ConfigurationProblem(path: path, message: message, line: line)])
    }

    public var description: String {
        problems.map { file.isEmpty ? "\($0)" : "\(file): \($0)" }.joined(separator: "\n")
    }
}
