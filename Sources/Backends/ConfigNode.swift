import Foundation
import Yams

/// A YAML node with its path in the document, for reading configuration with errors that name the
/// key: unknown keys, wrong types and missing values are ``ConfigurationError``s.
struct ConfigNode {
    let node: Yams.Node
    let path: String

    var line: Int? { self.node.mark?.line }

    func error(_ message: String) -> ConfigurationError {
        ConfigurationError(path: self.path, message: message, line: self.line)
    }

    /// The members of a mapping, after checking every key is one of `allowed`.
    func mapping(allowed: Set<String>) throws -> [String: ConfigNode] {
        guard let mapping = self.node.mapping else { throw self.error("expected a mapping") }
        var members: [String: ConfigNode] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else { throw self.error("keys must be strings") }
            let child = ConfigNode(node: value, path: self.path.isEmpty ? key : "\(self.path).\(key)")
            guard allowed.contains(key) else {
                throw ConfigurationError(
                    path: child.path,
                    message: "unknown key '\(key)' (expected one of: \(allowed.sorted().joined(separator: ", ")))",
                    line: keyNode.mark?.line
                )
            }
            members[key] = child
        }
        return members
    }

    func sequence() throws -> [ConfigNode] {
        guard let sequence = self.node.sequence else { throw self.error("expected a list") }
        return sequence.enumerated().map { ConfigNode(node: $1, path: "\(self.path)[\($0)]") }
    }

    func string() throws -> String {
        guard let scalar = self.node.scalar, !scalar.string.isEmpty else { throw self.error("expected a non-empty string") }
        return scalar.string
    }

    func int(minimum: Int = Int.min) throws -> Int {
        guard let value = self.node.int else { throw self.error("expected an integer") }
        guard value >= minimum else { throw self.error("must be at least \(minimum)") }
        return value
    }

    func double() throws -> Double {
        guard let value = self.node.float else { throw self.error("expected a number") }
        return value
    }

    func strings() throws -> [String] {
        if self.node.scalar != nil { return try self.string().split(separator: " ").map(String.init) }
        return try self.sequence().map { try $0.string() }
    }

    /// `90`, `90s`, `500ms`, `5m`, `1h`.
    func duration() throws -> Duration {
        let text = try self.string().trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let value = Double(text.dropLast(suffix.count)), value >= 0 {
                return .milliseconds(Int64((value * factor * 1000).rounded()))
            }
        }
        if let value = Double(text), value >= 0 {
            return .milliseconds(Int64((value * 1000).rounded()))
        }
        throw self.error("expected a duration such as 30s, 500ms, 5m or 1h")
    }
}

extension Dictionary where Key == String, Value == ConfigNode {
    func required(_ key: String, in parent: ConfigNode) throws -> ConfigNode {
        guard let node = self[key] else {
            throw ConfigurationError(path: parent.path.isEmpty ? key : "\(parent.path).\(key)", message: "is required", line: parent.line)
        }
        return node
    }
}
