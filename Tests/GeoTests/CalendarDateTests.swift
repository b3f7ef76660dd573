import Testing
@testable import Geo

/// Impossible dates name the impossible part.
@Suite struct CalendarDateTests {
    @Test(arguments: [
        ("2023-13-01/2023-14-01", "'2023-13-01': month 13 is not 1–12"),
        ("2023-02-29/2023-03-01", "'2023-02-29': 2023 is not a leap year, February has 28 days"),
        ("2023-04-01/2023-04-31", "'2023-04-31': day 31 does not exist, April has 30 days"),
        ("2023-5-01x/2023-06-01", "'2023-5-01x' is not a date: expected YYYY-MM-DD"),
        ("2023-05-01", "expected YYYY-MM-DD/YYYY-MM-DD"),
        ("seasons:2020:wet=02-30..03-31", "day 30 does not exist, February has 29 days at most"),
    ])
    func impossibleDatesNameTheImpossiblePart(spec: String, expected: String) {
        do {
            _ = try TimeWindowSpec(parsing: spec)
            Issue.record("accepted \(spec)")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test func possibleDatesPass() throws {
        #expect(CalendarDate.problem(iso: "2024-02-29") == nil)
        #expect(CalendarDate.problem(iso: "2000-02-29") == nil)
        #expect(CalendarDate.problem(iso: "1900-02-29") == "'1900-02-29': 1900 is not a leap year, February has 28 days")
        #expect(try TimeWindowSpec(parsing: "2024-02-29/2024-03-31").windows.count == 1)
    }
}
