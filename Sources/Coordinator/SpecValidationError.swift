/// Every problem found in one document, reported together so a user fixes them in one go.
public struct SpecValidationError: Error, Sendable, CustomStringConvertible {
    /// The file the problems are in (or a description such as `inline`).
    public var file: String
    public var problems: [SpecProblem]

    public init(file: String, problems: [SpecProblem]) {
        self.file = file
        self.problems = problems
    }

    public var description: String {
        problems.map { "\(file): \($0)" }.joined(separator: "\n")
    }
}
