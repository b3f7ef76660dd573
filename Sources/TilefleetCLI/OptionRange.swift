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

    /// An IP address to listen on: an IPv4 dotted quad or an IPv6 literal (no host names, which
    /// could resolve to an interface nobody meant).
    static func requireAddress(_ value: String, _ option: String) throws {
        guard isIPv4(value) || isIPv6(value) else {
            throw ValidationError("\(option) '\(value)' is not an IP address: expected e.g. 127.0.0.1, 0.0.0.0, ::1 or ::")
        }
    }

    static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            (1...3).contains(part.count) && part.allSatisfy { ("0"..."9").contains($0) } && Int(part)! <= 255
        }
    }

    static func isIPv6(_ text: String) -> Bool {
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return false }
        var groups: [Substring] = []
        for half in halves where !half.isEmpty {
            groups += half.split(separator: ":", omittingEmptySubsequences: false)
        }
        // A trailing embedded IPv4 address counts as two groups.
        var count = groups.count
        if let last = groups.last, last.contains(".") {
            guard isIPv4(String(last)) else { return false }
            groups.removeLast()
            count += 1
        }
        guard groups.allSatisfy({ (1...4).contains($0.count) && $0.allSatisfy { $0.isASCII && $0.isHexDigit } }) else { return false }
        return halves.count == 2 ? count <= 7 : count == 8
    }

    /// A topology prefix given on the command line, by the rules of the fleet configuration's.
    static func requirePrefix(_ value: String?, _ option: String) throws {
        guard let value, let problem = FleetConfiguration.prefixProblem(value) else { return }
        throw ValidationError("\(option) \(problem)")
    }
}
