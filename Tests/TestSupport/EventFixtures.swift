import FleetModel
import Foundation
import Postgres

/// Status events of whole tile lives, and a way to compare what the recorder made of them.
public enum EventFixtures {
    /// A whole second a few seconds ago: events from then on (the lives below span under 20 s
    /// however many tiles) are neither before a task created now nor ahead of the recorder's
    /// clock by more than the clock skew.
    public static func recentTime() -> Date {
        Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 5).rounded())
    }

    /// The life of `tiles` tiles: most finish at attempt 1, every fifth fails once and finishes
    /// at attempt 2, every seventeenth fails for good. About 10 events per tile on average. Running
    /// reports carry the costs so far and terminal ones the attempt's final costs and usage
    /// (``finalCosts(tile:attempt:)``).
    public static func lifeEvents(task: String, tiles: Int) -> [StatusEvent] {
        var events: [StatusEvent] = []
        let t0 = recentTime()
        for i in 0..<tiles {
            let tile = TestDatabase.tileID(i)
            // Eighths of a second: exact in binary and in the wire format's milliseconds.
            var t = t0.addingTimeInterval(Double(i % 8) / 8)
            func add(_ attempt: Int, _ status: EventStatus, progress: Double? = nil, error: String? = nil,
                     assets: [StatusEvent.Asset]? = nil) {
                t = t.addingTimeInterval(1.5)
                var event = StatusEvent(task: task, tile: tile, attempt: attempt, status: status,
                                        rawStatus: status.rawValue, backend: "sim", backendJobID: "j-\(i)-\(attempt)",
                                        progress: progress, assets: assets, error: error, worker: "w1", time: t)
                if status == .running, let progress {
                    event.costs = finalCosts(tile: i, attempt: attempt) * progress
                } else if [.finished, .failed, .retrying].contains(status) {
                    event.costs = finalCosts(tile: i, attempt: attempt)
                    event.usage = ["duration": UsageQuantity(value: Double(i % 7 + 1), unit: "seconds")]
                }
                events.append(event)
            }
            let attempts = i % 5 == 0 ? 2 : 1
            for attempt in 1...attempts {
                add(attempt, .queued)
                add(attempt, .submitted)
                add(attempt, .running, progress: 0.1)
                add(attempt, .running, progress: 0.5)
                add(attempt, .running, progress: 0.9)
                if attempt < attempts {
                    add(attempt, .retrying, error: "Job \(i) failed: out of memory")
                } else if i % 17 == 0 {
                    add(attempt, .failed, error: "Process graph rejected for tile \(i)")
                } else {
                    add(attempt, .finished, progress: 1, assets: [
                        StatusEvent.Asset(key: "openEO.tif", href: "https://sim/\(i)/openEO.tif", type: "image/tiff", roles: ["data"], title: "openEO.tif", size: 1024),
                        StatusEvent.Asset(key: "job-results.json", href: "https://sim/\(i)/job-results.json", type: "application/json", roles: ["metadata"]),
                    ])
                }
            }
        }
        return events
    }

    /// The credits the final report of tile number `tile`'s attempt says it cost.
    public static func finalCosts(tile: Int, attempt: Int) -> Double {
        Double(tile % 10 + 1) + Double(attempt) / 4
    }

    /// Everything the recorder derives, as text rows, for comparing two databases.
    public static func finalState(_ db: PostgresConnection) async throws -> [String] {
        var lines: [String] = []
        for sql: PostgresQuery in [
            "SELECT task_id, tile_id, status, attempt, backend_job_id, raw_status, progress, last_error, last_error_attempt, last_error_at, submitted_at, started_at, finished_at, status_at, last_event_id FROM tiles ORDER BY 1, 2",
            "SELECT task_id, tile_id, attempt, backend, job_id, idempotency_key, status, raw_status, status_at, submitted_at, started_at, finished_at, error, error_at, costs, usage, usage_at FROM backend_jobs ORDER BY 1, 2, 3",
            "SELECT task_id, tile_id, attempt, href, key, type, roles, title, size FROM assets ORDER BY 1, 2, 3, 4",
            "SELECT count(*) FROM events",
        ] {
            for row in try await db.query(sql) {
                lines.append((0..<row.columnCount).map { row[$0] ?? "∅" }.joined(separator: "|"))
            }
        }
        return lines
    }

}

extension Array {
    public func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}

/// A deterministic generator so the shuffled replay is the same on every run.
public struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
