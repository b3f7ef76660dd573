/// A named part of the year given by month-day bounds; a season whose end comes before its start
/// (winter 12-01…02-28) ends in the following year.
public struct Season: Sendable, Hashable {
    public var name: String
    public var startMonth: Int
    public var startDay: Int
    public var endMonth: Int
    /// Clamped to the month's length, so 29 means "end of February" in every year.
    public var endDay: Int

    public init(name: String, start: (month: Int, day: Int), end: (month: Int, day: Int)) {
        self.name = name
        startMonth = start.month
        startDay = start.day
        endMonth = end.month
        endDay = end.day
    }

    /// Meteorological seasons, as in the EOCanvas notebook (winter runs to the end of February).
    public static let meteorological = [
        Season(name: "spring", start: (3, 1), end: (5, 31)),
        Season(name: "summer", start: (6, 1), end: (8, 31)),
        Season(name: "autumn", start: (9, 1), end: (11, 30)),
        Season(name: "winter", start: (12, 1), end: (2, 29)),
    ]

    /// The season's window starting in `year`.
    public func window(year: Int) -> TimeWindow {
        let wraps = (endMonth, endDay) < (startMonth, startDay)
        return TimeWindow(
            label: "\(year)-\(name)",
            start: CalendarDate(year: year, month: startMonth, day: startDay),
            end: CalendarDate(year: wraps ? year + 1 : year, month: endMonth, day: endDay)
        )
    }
}
