import Foundation

/// One job in the simulator's memory. Its status is a function of the clock (created → queued →
/// running → finished/error), so reading it costs no bookkeeping.
struct SimulatedJob: Sendable {
    enum API: String, Sendable { case openEO = "openeo", ogc, eocanvas }

    enum Phase: Sendable, Equatable {
        case created, queued, running, finished, failed, canceled
    }

    let id: String
    let api: API
    let user: String
    let title: String?
    let idempotencyKey: String?
    let processID: String
    let created: Date
    /// Drawn at creation.
    let runSeconds: Double
    let queueSeconds: Double
    let fails: Bool
    /// The job's area (from its `spatial_extent`), when the simulator could find one.
    var areaKm2: Double? = nil
    /// The job's draw of cost noise: its costs are the configured rates times this.
    var costFactor: Double = 1
    var started: Date?
    var canceled: Date?

    /// When the job stops counting against its user's concurrency limit.
    var end: Date? {
        guard let started else { return nil }
        let natural = started.addingTimeInterval(self.queueSeconds + self.runSeconds)
        if let canceled { return min(canceled, natural) }
        return natural
    }

    func phase(at now: Date) -> Phase {
        guard let started else { return self.canceled == nil ? .created : .canceled }
        let runningFrom = started.addingTimeInterval(self.queueSeconds)
        let ends = runningFrom.addingTimeInterval(self.runSeconds)
        if now >= ends {
            if let canceled, canceled < ends { return .canceled }
            return self.fails ? .failed : .finished
        }
        if self.canceled != nil { return .canceled }
        return now >= runningFrom ? .running : .queued
    }

    /// Progress in percent while running.
    func progress(at now: Date) -> Double? {
        guard let started else { return 0 }
        switch self.phase(at: now) {
        case .finished: return 100
        case .running:
            let elapsed = now.timeIntervalSince(started) - self.queueSeconds
            return (min(1, max(0, elapsed / max(self.runSeconds, 0.001))) * 100).rounded()
        default: return 0
        }
    }

    /// Seconds the job has run by `now` (none while created or queued; up to a cancel).
    func runSeconds(at now: Date) -> Double {
        guard let started else { return 0 }
        let runningFrom = started.addingTimeInterval(self.queueSeconds)
        let until = min(now, self.canceled ?? now, runningFrom.addingTimeInterval(self.runSeconds))
        return max(0, until.timeIntervalSince(runningFrom))
    }

    /// Credits so far: the run time and the area at their rates, grown with the run, times the
    /// job's noise.
    func costs(at now: Date, rates: SimulatorConfiguration.CostRates) -> Double {
        let ran = self.runSeconds(at: now)
        let share = self.runSeconds > 0 ? min(1, ran / self.runSeconds) : (self.phase(at: now) == .finished ? 1 : 0)
        let raw = rates.perSecond * ran + rates.perKm2 * (self.areaKm2 ?? 0) * share
        return (raw * self.costFactor * 1000).rounded() / 1000
    }

    /// The area in km² of the first `spatial_extent` bounding box (`west`, `south`, `east`,
    /// `north`) or GeoJSON geometry found in a process graph.
    static func areaKm2(in value: Any) -> Double? {
        if let object = value as? [String: Any] {
            if let west = object["west"] as? Double, let east = object["east"] as? Double,
               let south = object["south"] as? Double, let north = object["north"] as? Double {
                return self.boxKm2(west: west, south: south, east: east, north: north)
            }
            if object["type"] is String, let coordinates = object["coordinates"] {
                var xs: [Double] = [], ys: [Double] = []
                self.collect(coordinates, &xs, &ys)
                if let west = xs.min(), let east = xs.max(), let south = ys.min(), let north = ys.max() {
                    return self.boxKm2(west: west, south: south, east: east, north: north)
                }
            }
            for key in object.keys.sorted() {
                if let area = self.areaKm2(in: object[key]!) { return area }
            }
        } else if let array = value as? [Any] {
            for item in array {
                if let area = self.areaKm2(in: item) { return area }
            }
        }
        return nil
    }

    private static func collect(_ value: Any, _ xs: inout [Double], _ ys: inout [Double]) {
        guard let array = value as? [Any] else { return }
        if array.count >= 2, let x = array[0] as? Double, let y = array[1] as? Double {
            xs.append(x)
            ys.append(y)
        } else {
            for item in array { self.collect(item, &xs, &ys) }
        }
    }

    private static func boxKm2(west: Double, south: Double, east: Double, north: Double) -> Double {
        let middle = (south + north) / 2 * Double.pi / 180
        return abs(east - west) * 111.32 * cos(middle) * abs(north - south) * 110.57
    }

    var failureMessage: String {
        "Simulated failure of job \(self.id): the process \(self.processID) raised an exception."
    }

    /// The key in a `[tilefleet:<key>]` marker of `title`.
    static func idempotencyKey(in title: String?) -> String? {
        guard let title, let start = title.range(of: "[tilefleet:"), let end = title[start.upperBound...].firstIndex(of: "]") else {
            return nil
        }
        return String(title[start.upperBound..<end])
    }
}
