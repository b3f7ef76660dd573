import FleetModel
/// A time window with both ends inclusive, labelled for job keys and output paths.
public struct TimeWindow: Sendable, Hashable, Codable, CustomStringConvertible {
    /// e.g. `2016-winter`, `2023-05`, `2023-Q2`, `2023`, or `2023-05-01/2023-09-30`.
    public var label: String
    public var start: CalendarDate
    /// Last day included.
    public var end: CalendarDate

    public init(label: String? = nil, start: CalendarDate, end: CalendarDate) {
        self.start = start
        self.end = end
        self.label = label ?? "\(start)/\(end)"
    }

    /// openEO's `temporal_extent`: `[start, end)` with the end exclusive (the day after ``end``).
    public var openEOExtent: JSONValue {
        .array([.string(start.description), .string(end.next.description)])
    }

    /// Days from start to end as the database counts them (`window_end - window_start`), at least 1.
    public var days: Int { max(1, end.dayNumber - start.dayNumber) }

    public var description: String { "\(label) (\(start)…\(end))" }
}
