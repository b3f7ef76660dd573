/// The id of one APEx "unit job": a tile of a task, written `<task>~<tile>`. Task ids never hold
/// `~` (`[a-z0-9_-]`), so the first `~` splits it; `~` needs no escaping in a URL path.
public struct UnitJobID: Sendable, Hashable, CustomStringConvertible {
    public var task: String
    public var tile: String

    public init(task: String, tile: String) {
        self.task = task
        self.tile = tile
    }

    /// Parses `<task>~<tile>`; nil when either part is missing.
    public init?(_ text: String) {
        guard let separator = text.firstIndex(of: "~") else { return nil }
        let task = String(text[..<separator]), tile = String(text[text.index(after: separator)...])
        guard !task.isEmpty, !tile.isEmpty else { return nil }
        self.init(task: task, tile: tile)
    }

    public var description: String { "\(task)~\(tile)" }
}
