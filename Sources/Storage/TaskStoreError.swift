/// Why a task could not be stored or found.
public enum TaskStoreError: Error, Sendable, CustomStringConvertible {
    case duplicateTask(String)
    case unknownTask(String)
    case unknownTiles([String])

    public var description: String {
        switch self {
        case .duplicateTask(let id): "a task with id '\(id)' already exists: change 'id' in the spec, or leave it out to get a fresh one"
        case .unknownTask(let id): "no task '\(id)'"
        case .unknownTiles(let tiles): "no such tiles: \(tiles.prefix(10).joined(separator: ", "))\(tiles.count > 10 ? ", …" : "")"
        }
    }
}
