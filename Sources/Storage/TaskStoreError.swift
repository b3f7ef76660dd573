/// Why a task could not be stored or found.
public enum TaskStoreError: Error, Sendable, CustomStringConvertible {
    case duplicateTask(String)
    case unknownTask(String)
    case unknownTiles([String])
    case invalidBudget(Double)

    public var description: String {
        switch self {
        case .duplicateTask(let id): "a task with id '\(id)' already exists: change 'id' in the spec, or leave it out to get a fresh one"
        case .unknownTask(let id): "no task '\(id)'"
        case .invalidBudget(let budget): "the budget must be a positive number of credits, got \(budget)"
        case .unknownTiles(let tiles):
            "no such tile\(tiles.count == 1 ? "" : "s") in the task: \(tiles.prefix(10).joined(separator: ", "))\(tiles.count > 10 ? ", … (\(tiles.count) in all)" : "") (`tilefleet export TASK --geojson -` lists them)"
        }
    }
}
