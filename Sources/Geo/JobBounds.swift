import FleetModel
import Foundation

/// The most jobs a command may make, checked before making them: tiling a continent at 10 m, or
/// ten thousand years of months, stops at once with the count and a suggestion instead of
/// running for minutes and filling the memory.
///
/// Jobs are cells × jobs per cell (windows × every dimension's value count). Above ``maxJobs``
/// nothing goes ahead; above ``confirmJobs`` only with confirmation (`--yes`): callers pass nil
/// for ``confirmJobs`` once confirmed.
public struct JobBounds: Sendable, Hashable {
    /// Above this many jobs: refused (the fleet's `limits.max_jobs`).
    public var maxJobs: Int
    /// Above this many jobs: refused unless confirmed (the fleet's `limits.confirm_jobs`); nil
    /// when confirmed or not asked for.
    public var confirmJobs: Int?
    /// Windows × dimension values: how many jobs each cell becomes.
    public var jobsPerCell: Int

    public init(maxJobs: Int, confirmJobs: Int?, jobsPerCell: Int = 1) {
        self.maxJobs = maxJobs
        self.confirmJobs = confirmJobs
        self.jobsPerCell = max(jobsPerCell, 1)
    }

    /// Jobs per cell from the window count and the dimensions' value counts, refusing a
    /// declaration that alone goes beyond the limit (checked before any window is made).
    public static func jobsPerCell(windows: Int, dimensionValueCounts: [Int], maxJobs: Int) throws -> Int {
        var product = max(windows, 1)
        for count in dimensionValueCounts {
            let (next, overflow) = product.multipliedReportingOverflow(by: max(count, 1))
            product = overflow ? Int.max : next
        }
        if product > maxJobs {
            let parts = (windows > 0 ? ["\(grouped(windows)) windows"] : []) + dimensionValueCounts.map { "\(grouped($0)) values" }
            throw GeoValidationError(.tooManyJobs(
                "\(parts.joined(separator: " × ")) make \(grouped(product)) jobs for every cell, above the limit of "
                    + "\(grouped(maxJobs)) jobs (limits.max_jobs in the fleet configuration); use fewer or longer windows"
            ))
        }
        return product
    }

    /// Refuses `cells` (an estimate when `approximate`) on `grid` when the jobs they make go
    /// beyond the limit, or beyond the confirmation threshold unless confirmed.
    public func check(cells: Int, grid: TileGrid, approximate: Bool) throws {
        let (jobs, overflow) = cells.multipliedReportingOverflow(by: jobsPerCell)
        let total = overflow ? Int.max : jobs
        let about = approximate ? "about " : ""
        let perCell = jobsPerCell > 1 ? " × \(Self.grouped(jobsPerCell)) jobs per cell = \(Self.grouped(total)) jobs" : " (\(Self.grouped(total)) jobs)"
        let count = "\(about)\(Self.grouped(cells)) cells on grid \(grid)\(perCell)"
        if total > maxJobs {
            throw GeoValidationError(.tooManyJobs(
                "\(count), above the limit of \(Self.grouped(maxJobs)) jobs (limits.max_jobs in the fleet configuration); "
                    + Self.suggestion(grid: grid, factor: Double(total) / Double(maxJobs))
            ))
        }
        if let confirmJobs, total > confirmJobs {
            throw GeoValidationError(.tooManyJobs(
                "\(count), above \(Self.grouped(confirmJobs)) (limits.confirm_jobs in the fleet configuration); "
                    + "pass --yes to go ahead with them, or " + Self.suggestion(grid: grid, factor: Double(total) / Double(confirmJobs))
            ))
        }
    }

    /// A grid with cells `factor` times larger in area (rounded up to a whole size), or advice.
    static func suggestion(grid: TileGrid, factor: Double) -> String {
        let scale = (factor * 1.05).squareRoot()
        switch grid {
        case .kilometres(let size):
            return "use a larger grid (km:\(JSONValue.format((size * scale).rounded(.up)))), a smaller area or fewer windows"
        case .crs(let epsg, let width, let height):
            let w = (width * scale).rounded(.up), h = (height * scale).rounded(.up)
            let spelled = w == h ? "crs:\(epsg):\(JSONValue.format(w))" : "crs:\(epsg):\(JSONValue.format(w))x\(JSONValue.format(h))"
            return "use a larger grid (\(spelled)), a smaller area or fewer windows"
        case .group(let inner, _):
            return suggestion(grid: inner, factor: factor)
        case .mgrs, .features:
            return "use a smaller area, fewer features or fewer windows"
        }
    }

    /// 1234567 → "1,234,567".
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return (value < 0 ? "-" : "") + result
    }
}
