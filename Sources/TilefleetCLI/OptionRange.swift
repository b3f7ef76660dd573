import ArgumentParser
import FleetConfig

/// Range checks of numeric options, run from the commands' `validate()`: a value out of range is
/// refused (exit 2) naming the option and the range, never wrapped (`--port 99999` listening on
/// 34463) or clamped (`--batch-size 0` becoming 1).
enum OptionRange {
    static func require<Value: Comparable>(_ value: Value, _ option: String, in range: ClosedRange<Value>, _ meaning: String = "") throws {
        guard range.contains(value) else {
            throw ValidationError("\(option) \(value) is out of range: expected \(range.lowerBound)…\(range.upperBound)\(meaning)")
        }
    }

    static func require<Value: Comparable>(_ value: Value, _ option: String, atLeast minimum: Value) throws {
        guard value >= minimum else { throw ValidationError("\(option) \(value) is out of range: expected at least \(minimum)") }
    }

    static func requireFinite(_ value: Double?, _ option: String, atLeast minimum: Double) throws {
        guard let value else { return }
        guard value.isFinite, value >= minimum else { throw ValidationError("\(option) \(value) is out of range: expected a number ≥ \(minimum)") }
    }

    static func requireShare(_ value: Double?, _ option: String) throws {
        guard let value else { return }
        guard value.isFinite, (0...1).contains(value) else { throw ValidationError("\(option) \(value) is out of range: expected a share 0…1") }
    }

    /// A TCP port; 0 means any free port.
    static func requirePort(_ value: Int, _ option: String) throws {
        try require(value, option, in: 0...65535, " (0: any free port)")
    }

    /// A topology prefix given on the command line, by the rules of the fleet configuration's.
    static func requirePrefix(_ value: String?, _ option: String) throws {
        guard let value, let problem = FleetConfiguration.prefixProblem(value) else { return }
        throw ValidationError("\(option) \(problem)")
    }
}
