import FleetModel
import Geo
import Yams

/// Reads a YAML (or JSON) document node by node, collecting every problem with its path instead of
/// stopping at the first one.
final class SpecReader {
    private(set) var problems: [SpecProblem] = []

    func report(_ path: String, _ message: String, _ node: Node? = nil) {
        problems.append(SpecProblem(path: path, message: message, line: node?.mark?.line))
    }

    static func child(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The members of a mapping; unknown keys are reported with the closest known key.
    func mapping(_ node: Node?, _ path: String, allowed: Set<String>) -> [String: Node]? {
        guard let node else { return nil }
        guard let mapping = node.mapping else {
            report(path, "expected a mapping", node)
            return nil
        }
        var members: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else {
                report(path, "keys must be strings", keyNode)
                continue
            }
            guard allowed.contains(key) else {
                let hint = Self.closest(key, in: allowed).map { ", did you mean '\($0)'?" } ?? " (expected one of: \(allowed.sorted().joined(separator: ", ")))"
                report(Self.child(path, key), "unknown key '\(key)'\(hint)", keyNode)
                continue
            }
            members[key] = value
        }
        return members
    }

    func string(_ node: Node?, _ path: String, required: Bool = false) -> String? {
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

    func int(_ node: Node?, _ path: String, minimum: Int = Int.min) -> Int? {
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

    func double(_ node: Node?, _ path: String) -> Double? {
        guard let node else { return nil }
        guard let text = node.scalar?.string, let value = Double(text) else {
            report(path, "expected a number", node)
            return nil
        }
        return value
    }

    /// `90`, `90s`, `5m`, `6h`, `2d` → seconds.
    func seconds(_ node: Node?, _ path: String) -> Int? {
        guard let text = string(node, path) else { return nil }
        if let value = Self.parseSeconds(text) { return value }
        report(path, "expected a duration such as 90s, 30m, 6h or 2d, got '\(text)'", node)
        return nil
    }

    static func parseSeconds(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            if let value = Double(trimmed.dropLast(suffix.count)), value > 0 { return max(1, Int((value * factor).rounded())) }
        }
        if let value = Int(trimmed), value > 0 { return value }
        return nil
    }

    /// Any node as JSON (quoted scalars stay strings; plain ones are typed as YAML resolves them).
    func json(_ node: Node, _ path: String) -> JSONValue {
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
    static func closest(_ word: String, in candidates: some Collection<String>) -> String? {
        let scored = candidates.map { ($0, distance(word.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }) else { return nil }
        return best.1 <= max(2, word.count / 3) ? best.0 : nil
    }

    static func distance(_ a: String, _ b: String) -> Int {
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
