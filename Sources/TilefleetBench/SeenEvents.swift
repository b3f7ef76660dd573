import FleetModel
import Foundation

/// The events a benchmark run saw: the first `submitted` and `finished` time per tile, and how many
/// `finished` events there were.
final class SeenEvents: @unchecked Sendable {
    private let lock = NSLock()
    private var submitted: [String: Date] = [:]
    private var finished: [String: Date] = [:]
    private var finishedEvents = 0

    func add(_ event: StatusEvent) {
        lock.withLock {
            switch event.status {
            case .submitted: submitted[event.tile] = submitted[event.tile] ?? event.time
            case .finished:
                finishedEvents += 1
                finished[event.tile] = finished[event.tile] ?? event.time
            default: break
            }
        }
    }

    var finishedTiles: Int { lock.withLock { finished.count } }

    var snapshot: ([String: Date], [String: Date], Int) { lock.withLock { (submitted, finished, finishedEvents) } }
}
