import Foundation

/// A declaration of time windows: an explicit list, or years × seasons / months / quarters.
///
/// The EOCanvas notebook's 8 years × 4 seasons is `TimeWindowSpec(parsing: "seasons:2016-2023")`.
/// Spellings: `2023-05-01/2023-09-30[,…]`, `years:2016-2023`, `months:2023`, `quarters:2020-2021`,
/// `seasons:2016-2023`, `seasons:2016-2023:spring=03-01..05-31,winter=12-01..02-28`.
public enum TimeWindowSpec: Sendable, Hashable {
    case explicit([TimeWindow])
    case years(ClosedRange<Int>)
    case months(ClosedRange<Int>)
    case quarters(ClosedRange<Int>)
    case seasons(ClosedRange<Int>, [Season])

    /// How many windows ``windows`` makes, computed without making them (for ``JobBounds``).
    public var count: Int {
        func times(_ years: ClosedRange<Int>, _ factor: Int) -> Int {
            let (product, overflow) = years.count.multipliedReportingOverflow(by: factor)
            return overflow ? Int.max : product
        }
        switch self {
        case .explicit(let windows): return windows.count
        case .years(let years): return years.count
        case .months(let years): return times(years, 12)
        case .quarters(let years): return times(years, 4)
        case .seasons(let years, let seasons): return times(years, seasons.count)
        }
    }

    /// The windows in chronological order (seasons in declaration order within a year).
    public var windows: [TimeWindow] {
        switch self {
        case .explicit(let windows):
            return windows
        case .years(let years):
            return years.map { year in
                TimeWindow(label: "\(year)", start: CalendarDate(year: year, month: 1, day: 1), end: CalendarDate(year: year, month: 12, day: 31))
            }
        case .months(let years):
            return years.flatMap { year in
                (1...12).map { month in
                    let start = CalendarDate(year: year, month: month, day: 1)
                    return TimeWindow(
                        label: String(start.description.prefix(7)), start: start,
                        end: CalendarDate(year: year, month: month, day: 31)
                    )
                }
            }
        case .quarters(let years):
            return years.flatMap { year in
                (0..<4).map { quarter in
                    TimeWindow(
                        label: "\(year)-Q\(quarter + 1)",
                        start: CalendarDate(year: year, month: 3 * quarter + 1, day: 1),
                        end: CalendarDate(year: year, month: 3 * quarter + 3, day: 31)
                    )
                }
            }
        case .seasons(let years, let seasons):
            return years.flatMap { year in seasons.map { $0.window(year: year) } }
        }
    }

    public init(parsing spec: String) throws {
        func fail(_ detail: String) -> GeoValidationError {
            GeoValidationError(.invalidTimeWindow("'\(spec)': \(detail)"))
        }
        let parts = spec.split(separator: ":", maxSplits: 2).map(String.init)
        guard parts.count >= 2 else {
            self = .explicit(try spec.split(separator: ",").map { item in
                let texts = item.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                guard texts.count == 2 else { throw fail("expected YYYY-MM-DD/YYYY-MM-DD") }
                for text in texts { if let problem = CalendarDate.problem(iso: text) { throw fail(problem) } }
                guard let start = CalendarDate(iso: texts[0]), let end = CalendarDate(iso: texts[1]) else {
                    throw fail("expected YYYY-MM-DD/YYYY-MM-DD")
                }
                guard start <= end else { throw fail("\(start) is after \(end)") }
                return TimeWindow(start: start, end: end)
            })
            return
        }
        let yearBounds = parts[1].split(separator: "-").map { Int($0) }
        guard (1...2).contains(yearBounds.count), let first = yearBounds[0], let last = yearBounds.last!, first <= last else {
            throw fail("expected a year or a year range like 2016-2023")
        }
        guard first >= 1, last <= 9999 else { throw fail("years are 1…9999 (dates are YYYY-MM-DD)") }
        let years = first...last
        switch parts[0] {
        case "years": self = .years(years)
        case "months": self = .months(years)
        case "quarters": self = .quarters(years)
        case "seasons":
            guard parts.count == 3 else {
                self = .seasons(years, Season.meteorological)
                return
            }
            self = .seasons(years, try parts[2].split(separator: ",").map { item in
                let nameAndRange = item.split(separator: "=")
                let bounds = nameAndRange.count == 2 ? nameAndRange[1].components(separatedBy: "..") : []
                let monthDays = bounds.map { $0.split(separator: "-").map { Int($0) } }
                guard monthDays.count == 2, monthDays.allSatisfy({ $0.count == 2 && $0[0] != nil && $0[1] != nil }),
                      let startMonth = monthDays[0][0], let startDay = monthDays[0][1],
                      let endMonth = monthDays[1][0], let endDay = monthDays[1][1],
                      (1...12).contains(startMonth), (1...12).contains(endMonth)
                else {
                    throw fail("a season is name=MM-DD..MM-DD")
                }
                // Any year's days: a leap year's, so 02-29 is allowed (it becomes 02-28 in others).
                for (month, day) in [(startMonth, startDay), (endMonth, endDay)] where !(1...CalendarDate.daysIn(month: month, year: 2000)).contains(day) {
                    throw fail("day \(day) does not exist, \(CalendarDate.monthNames[month - 1]) has \(CalendarDate.daysIn(month: month, year: 2000)) days at most")
                }
                return Season(name: String(nameAndRange[0]), start: (startMonth, startDay), end: (endMonth, endDay))
            })
        default:
            throw fail("expected years:, months:, quarters:, seasons: or explicit windows")
        }
    }
}
