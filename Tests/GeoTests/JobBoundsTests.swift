import Foundation
import Testing
@testable import Geo

/// Cells and jobs are counted before they are made.
@Suite struct JobBoundsTests {
    func tooMany(_ body: () throws -> Any) -> String? {
        do {
            _ = try body()
            return nil
        } catch let error as GeoValidationError {
            if case .tooManyJobs(let detail) = error.problem { return detail }
            return "\(error)"
        } catch {
            return "\(error)"
        }
    }

    @Test func theWorldAtKm1StopsAtOnceWithCountGridAndSuggestion() throws {
        let world = try AOIParser().parse("-180,-80,180,84")
        let bounds = JobBounds(maxJobs: 1_000_000, confirmJobs: 100_000)
        let detail = try #require(tooMany { try Tiler(options: TilingOptions(bounds: bounds)).tiles(for: world, grid: .kilometres(1)) })
        #expect(detail.hasPrefix("about 504,"), "area over cell area (504.7 M km²) plus the boundary's cells")
        #expect(detail.contains("cells on grid km:1"))
        #expect(detail.contains("above the limit of 1,000,000 jobs (limits.max_jobs"))
        #expect(detail.contains("use a larger grid (km:24)"))
        // The suggested grid fits under the limit.
        let suggested = try #require(tooMany { try Tiler(options: TilingOptions(bounds: bounds)).tiles(for: world, grid: .kilometres(24)) })
        #expect(!suggested.contains("limits.max_jobs"))
        #expect(suggested.contains("pass --yes"))
    }

    @Test func betweenTheThresholdAndTheLimitOnlyWithConfirmation() throws {
        let vienna = try AOIParser().parse(ReferenceAOI.vienna)
        let asking = JobBounds(maxJobs: 10_000, confirmJobs: 100, jobsPerCell: 4)
        let detail = try #require(tooMany { try Tiler(options: TilingOptions(bounds: asking)).tiles(for: vienna, grid: .kilometres(2)) })
        #expect(detail.contains("× 4 jobs per cell"))
        #expect(detail.contains("above 100 (limits.confirm_jobs"))
        #expect(detail.contains("pass --yes"))
        let confirmed = JobBounds(maxJobs: 10_000, confirmJobs: nil, jobsPerCell: 4)
        let result = try Tiler(options: TilingOptions(bounds: confirmed)).tiles(for: vienna, grid: .kilometres(2))
        #expect(result.tiles.count > 100 / 4)
    }

    @Test func windowsAreCountedWithoutBeingMade() throws {
        for spelling in ["seasons:2016-2023", "months:2020-2021", "quarters:2020", "years:2000-2009", "2023-01-01/2023-01-31,2023-02-01/2023-02-28"] {
            let spec = try TimeWindowSpec(parsing: spelling)
            #expect(spec.count == spec.windows.count, "\(spelling)")
        }
        #expect(throws: GeoValidationError.self, "years beyond 9999 are refused") { try TimeWindowSpec(parsing: "months:0-\(Int.max)") }
        #expect(throws: GeoValidationError.self) { try TimeWindowSpec(parsing: "years:2020-10000") }
        let huge = try TimeWindowSpec(parsing: "months:1-9999")
        #expect(huge.count == 119_988)
        let detail = try #require(tooMany { try JobBounds.jobsPerCell(windows: huge.count, dimensionValueCounts: [2], maxJobs: 100_000) })
        #expect(detail == "119,988 windows × 2 values make 239,976 jobs for every cell, above the limit of 100,000 jobs (limits.max_jobs in the fleet configuration); use fewer or longer windows")
        #expect(try JobBounds.jobsPerCell(windows: 32, dimensionValueCounts: [2, 3], maxJobs: 100_000) == 192)
        #expect(try JobBounds.jobsPerCell(windows: 0, dimensionValueCounts: [], maxJobs: 1) == 1)
    }

    @Test func crsGridSuggestionScalesBothSides() {
        let text = JobBounds.suggestion(grid: .crs(epsg: 32631, cellWidth: 1000, cellHeight: 1000), factor: 4)
        #expect(text.hasPrefix("use a larger grid (crs:32631:2050)"))
        #expect(JobBounds.grouped(1_234_567) == "1,234,567")
        #expect(JobBounds.grouped(999) == "999")
    }

    @Test func aLongThinAreaIsCountedByItsBoundaryBeforeTiling() throws {
        // 1000 km long, 10 m wide: 10 km² of area, but about 20,000 cells of 100 m on its boundary.
        let strip = try AOIParser().parse("10,0.0,19.0,0.00009")
        let bounds = JobBounds(maxJobs: 5_000, confirmJobs: nil)
        let detail = try #require(tooMany { try Tiler(options: TilingOptions(minimumAreaKm2: 0, bounds: bounds)).tiles(for: strip, grid: .kilometres(0.1)) })
        #expect(detail.hasPrefix("about "), "refused on the estimate, before tiling: \(detail)")
    }
}
