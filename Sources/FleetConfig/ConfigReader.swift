import FleetModel
import Foundation
import Timing
import Yams

/// The one reader of configuration documents (the fleet configuration, task specs, job files):
/// reads a YAML (or JSON) document node by node and collects every problem with its key path and
/// line instead of stopping at the first one.
///
/// A key given twice in one mapping is a problem (YAML would silently keep the last one). Every
/// duration uses one grammar, ``parseDuration(_:)``.
package final class ConfigReader {
    package private(set) var problems: [ConfigurationProblem] = []
    /// The directory of the document being read: relative file paths in it are taken from here.
    package var directory = ""

    package init() {}

    /// A file path as the document gives it, `~/` expanded and a relative path taken from the
    /// document's own directory (not the working directory of whichever process reads it).
    package func filePath(_ given: String) -> String {
        let expanded = Self.expandingHome(given)
        return expanded.hasPrefix("/") || directory.isEmpty ? expanded : directory + "/" + expanded
    }

    /// Composes `text` into a node tree; a syntax error becomes a problem (nil is returned).
    package func compose(_ text: String) -> Node? {
        do {
            guard let root = try Yams.compose(yaml: text) else {
                report("", "the document is empty")
                return nil
            }
            return root
        } catch {
            report("", "not valid YAML: \(error)")
            return nil
        }
    }

    package func report(_ path: String, _ message: String, _ node: Node? = nil) {
        problems.append(ConfigurationProblem(path: path, message: message, line: node?.mark?.line))
    }

    package static func child(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// A path with a leading `~/` made the user's home directory (`HOME`).
    package static func expandingHome(_ path: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        guard path.hasPrefix("~/"), let home = environment["HOME"], !home.isEmpty else { return path }
        return (home.hasSuffix("/") ? String(home.dropLast()) : home) + path.dropFirst(1)
    }

    /// The members of a mapping; unknown keys are reported with the closest known key, and a key
    /// given twice is reported at its second occurrence.
    package func mapping(_ node: Node?, _ path: String, allowed: Set<String>) -> [String: Node]? {
        guard let node else { return nil }
        guard let mapping = node.mapping else {
            report(path, "expected a mapping", node)
            return nil
        }
        var members: [String: Node] = [:]
        var firstLines: [String: Int] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else {
                report(path, "keys must be strings", keyNode)
                continue
            }
            if let first = firstLines[key] {
                report(Self.child(path, key), "given twice (first on line \(first)); remove one", keyNode)
                continue
            }
            firstLines[key] = keyNode.mark?.line ?? 0
            guard allowed.contains(key) else {
                let hint = Self.closest(key, in: allowed).map { ", did you mean '\($0)'?" } ?? " (expected one of: \(allowed.sorted().joined(separator: ", ")))"
                report(Self.child(path, key), "unknown key '\(key)'\(hint)", keyNode)
                continue
            }
            members[key] = value
        }
        return members
    }

    /// The items of a list.
    package func sequence(_ node: Node?, _ path: String) -> [(path: String, node: Node)]? {
        guard let node else { return nil }
        guard let sequence = node.sequence else {
            report(path, "expected a list", node)
            return nil
        }
        return sequence.enumerated().map { ("\(path)[\($0)]", $1) }
    }

    package func string(_ node: Node?, _ path: String, required: Bool = false) -> String? {
        guard let node else {
            if required { report(path, "is required") }
            return nil
        }
        guard let scalar = node.scalar, node.tag.description != Tag.Name.null.rawValue, !scalar.string.isEmpty else {
            report(path, "expected a non-empty string", node)
            return nil
        }
        return scalar.string
    }

    package func int(_ node: Node?, _ path: String, minimum: Int = Int.min) -> Int? {
        guard let node else { return nil }
        guard node.scalar != nil, let value = Int(node.scalar!.string) else {
            report(path, "expected an integer", node)
            return nil
        }
        guard value >= minimum else {
            report(path, "must be at least \(minimum), got \(value)", node)
            return nil
        }
        return value
    }

    package func double(_ node: Node?, _ path: String, in range: ClosedRange<Double>? = nil) -> Double? {
        guard let node else { return nil }
        guard let text = node.scalar?.string, let value = Double(text), value.isFinite else {
            report(path, "expected a number", node)
            return nil
        }
        if let range, !range.contains(value) {
            report(path, "must be between \(Self.format(range.lowerBound)) and \(Self.format(range.upperBound)), got \(text)", node)
            return nil
        }
        return value
    }

    package func bool(_ node: Node?, _ path: String) -> Bool? {
        guard let node else { return nil }
        guard node.scalar != nil, let value = node.bool else {
            report(path, "expected true or false", node)
            return nil
        }
        return value
    }

    /// A list of strings, or one string of space-separated words.
    package func strings(_ node: Node?, _ path: String) -> [String]? {
        guard let node else { return nil }
        if node.scalar != nil { return string(node, path)?.split(separator: " ").map(String.init) }
        return sequence(node, path)?.compactMap { string($0.node, $0.path) }
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// A duration in the one grammar of ``parseDuration(_:)``. Zero is accepted only where
    /// `zeroMeans` says what it means (for example "off"); the message then says so.
    package func duration(_ node: Node?, _ path: String, zeroMeans: String? = nil) -> Duration? {
        guard let text = string(node, path) else { return nil }
        guard let value = Self.parseDuration(text) else {
            report(path, "expected a duration such as 250ms, 90s, 30m, 6h or 2d, got '\(text)'", node)
            return nil
        }
        if value == .zero && zeroMeans == nil {
            report(path, "must be longer than zero, got '\(text)'", node)
            return nil
        }
        return value
    }

    /// A duration in whole seconds (at least 1), for settings counted in seconds.
    package func seconds(_ node: Node?, _ path: String) -> Int? {
        guard let value = duration(node, path) else { return nil }
        return max(1, Int(value.inSeconds.rounded()))
    }

    /// The duration grammar used everywhere: a non-negative number followed by `ms`, `s`, `m`,
    /// `h` or `d` (`250ms`, `90s`, `30m`, `6h`, `2d`); a bare number is seconds. Case and
    /// surrounding spaces do not matter. Nil when `text` is not in the grammar.
    package static func parseDuration(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        var number = Substring(trimmed), factor = 1.0
        for (suffix, unit) in units where trimmed.hasSuffix(suffix) {
            number = trimmed.dropLast(suffix.count)
            factor = unit
            break
        }
        let digits = number.trimmingCharacters(in: .whitespaces)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isNumber || $0 == "." }), let value = Double(digits), value.isFinite else {
            return nil
        }
        let milliseconds = value * factor * 1000
        guard milliseconds < Double(Int64.max / 2) else { return nil }
        return .milliseconds(Int64(milliseconds.rounded()))
    }

    /// Any node as JSON (quoted scalars stay strings; plain ones are typed as YAML resolves them).
    package func json(_ node: Node, _ path: String) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            switch node.tag.description {
            case Tag.Name.null.rawValue: return .null
            case Tag.Name.bool.rawValue: return .bool(node.bool ?? false)
            case Tag.Name.int.rawValue, Tag.Name.float.rawValue:
                if let value = Double(scalar.string.replacingOccurrences(of: "_", with: "")) { return .number(value) }
                return .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard let name = key.string else {
                    report(path, "keys must be strings", key)
                    continue
                }
                members[name] = json(value, Self.child(path, name))
            }
            return .object(members)
        case .sequence(let sequence):
            return .array(sequence.enumerated().map { json($1, "\(path)[\($0)]") })
        }
    }

    /// The known word closest to `word` (edit distance at most 2, or a third of its length), for "did you mean".
    package static func closest(_ word: String, in candidates: some Collection<String>) -> String? {
        let scored = candidates.map { ($0, distance(word.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }) else { return nil }
        return best.1 <= max(2, word.count / 3) ? best.0 : nil
    }

    package static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
