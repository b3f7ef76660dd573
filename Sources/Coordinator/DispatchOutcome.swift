/// What one dispatch pass on one backend did.
public struct DispatchOutcome: Sendable, Hashable {
    public var backend: String
    /// Tiles dispatched and not terminal before the pass (counted under the backend's lock).
    public var activeBefore: Int
    /// Tiles published per task.
    public var published: [String: Int]

    public var total: Int { published.values.reduce(0, +) }

    public init(backend: String, activeBefore: Int, published: [String: Int]) {
        self.backend = backend
        self.activeBefore = activeBefore
        self.published = published
    }
}
