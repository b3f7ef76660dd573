/// What one dispatch pass on one backend did.
public struct DispatchOutcome: Sendable, Hashable {
    public var backend: String
    /// Tiles dispatched and not terminal before the pass (counted under the backend's lock).
    public var activeBefore: Int
    /// Tiles published per task (parked tiles taken up included).
    public var published: [String: Int]
    /// Of those, parked tiles taken up again (their start was refused with "try later").
    public var unparked: Int

    public var total: Int { published.values.reduce(0, +) }

    public init(backend: String, activeBefore: Int, published: [String: Int], unparked: Int = 0) {
        self.backend = backend
        self.activeBefore = activeBefore
        self.published = published
        self.unparked = unparked
    }
}
