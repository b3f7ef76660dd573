import Yams

/// The key files that tag fleet messages (the `signing:` section of `tilefleet.yaml`): paths, never
/// keys. `work_key_file` is read by those who order work (coordinator, `submit`, `retry`, `cancel`,
/// `resume`) and the workers that check and forward it; `event_key_file` by the workers and the
/// coordinator that send what the recorder applies, and by the recorder. A section left out sends
/// and accepts untagged messages. docs/operations.md has the key handling and rotation.
public struct SigningConfiguration: Sendable, Hashable {
    public var workKeyFile: String?
    public var eventKeyFile: String?

    public init(workKeyFile: String? = nil, eventKeyFile: String? = nil) {
        self.workKeyFile = workKeyFile
        self.eventKeyFile = eventKeyFile
    }

    static let keys: Set<String> = ["work_key_file", "event_key_file"]

    /// Reads `signing:`; a relative path is taken from the configuration file's directory.
    static func read(_ node: Node?, _ path: String, reader: ConfigReader) -> SigningConfiguration {
        var value = SigningConfiguration()
        guard let members = reader.mapping(node, path, allowed: keys) else { return value }
        func file(_ key: String) -> String? {
            guard let given = reader.string(members[key], ConfigReader.child(path, key)) else { return nil }
            guard !given.isEmpty else {
                reader.report(ConfigReader.child(path, key), "is empty (name the key file, or leave the key out)", members[key])
                return nil
            }
            return reader.filePath(given)
        }
        value.workKeyFile = file("work_key_file")
        value.eventKeyFile = file("event_key_file")
        return value
    }
}
