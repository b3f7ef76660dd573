import Foundation

/// An OGC API – Processes Part 2 application package a task deploys before its jobs run
/// (`service: {process: id, deploy: package.json}`): sent as it was read, compared by content.
public struct ProcessPackage: Sendable, Hashable, Codable {
    /// The process the package deploys (the task's `service.process`).
    public var processID: String
    /// `application/ogcapppkg+json`, `application/cwl+json` or `application/cwl+yaml`.
    public var contentType: String
    /// The package's text.
    public var body: String
    /// The file it was read from, for messages.
    public var source: String

    public init(processID: String, contentType: String, body: String, source: String) {
        self.processID = processID
        self.contentType = contentType
        self.body = body
        self.source = source
    }

    /// The content type of a package file: CWL by `cwlVersion` or a `.cwl`/YAML name, else an OGC
    /// application package (`{processDescription, executionUnit}`).
    public static func contentType(path: String, text: String) -> String {
        let lower = path.lowercased()
        if let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) {
            if case .object(let members) = value, members["cwlVersion"] != nil || members["$graph"] != nil { return "application/cwl+json" }
            return "application/ogcapppkg+json"
        }
        return lower.hasSuffix(".cwl") || lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") ? "application/cwl+yaml" : "application/ogcapppkg+json"
    }

    /// Whether `text` (a server's copy) is this package: equal JSON values (key order and spacing
    /// aside), else the same text apart from surrounding white space.
    public func isSame(as text: String) -> Bool {
        if let mine = try? JSONDecoder().decode(JSONValue.self, from: Data(body.utf8)),
           let theirs = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) {
            return mine == theirs
        }
        return body.trimmingCharacters(in: .whitespacesAndNewlines) == text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
