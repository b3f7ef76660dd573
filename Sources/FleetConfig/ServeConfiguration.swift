import Yams

/// The `serve:` section of `tilefleet.yaml`: who may use `tilefleet serve` and with which bearer
/// token (each referenced by an environment variable or a file, never written here), and the map
/// page's optional base map.
public struct ServeConfiguration: Sendable, Equatable {
    /// One API user: a name (the tasks they submit are theirs) and where their token is.
    public struct User: Sendable, Equatable {
        public var name: String
        public var token: SecretReference

        public init(name: String, token: SecretReference) {
            self.name = name
            self.token = token
        }
    }

    public var users: [User]
    /// A tile URL template (`https://…/{z}/{x}/{y}.png`) for the map page's base layer; nil: none
    /// (the page then needs no internet).
    public var baseMap: String?

    public init(users: [User] = [], baseMap: String? = nil) {
        self.users = users
        self.baseMap = baseMap
    }

    static let keys: Set<String> = ["users", "base_map"]
    static let userKeys: Set<String> = ["name", "token_env", "token_file"]

    /// Reads `serve:`; problems go to `reader`.
    static func read(_ node: Node?, _ path: String, reader: ConfigReader) -> ServeConfiguration {
        var value = ServeConfiguration()
        guard let members = reader.mapping(node, path, allowed: keys) else { return value }
        if let baseMap = reader.string(members["base_map"], ConfigReader.child(path, "base_map")) {
            if baseMap.hasPrefix("https://") || baseMap.hasPrefix("http://"), baseMap.contains("{z}") {
                value.baseMap = baseMap
            } else {
                reader.report(ConfigReader.child(path, "base_map"), "'\(baseMap)' is not an http(s) tile URL template with {z}, {x} and {y}", members["base_map"])
            }
        }
        var names = Set<String>()
        for (userPath, userNode) in reader.sequence(members["users"], ConfigReader.child(path, "users")) ?? [] {
            guard let user = reader.mapping(userNode, userPath, allowed: userKeys) else { continue }
            let name = reader.string(user["name"], ConfigReader.child(userPath, "name"), required: true)
            let reference: SecretReference?
            switch (user["token_env"], user["token_file"]) {
            case (_?, nil): reference = reader.string(user["token_env"], ConfigReader.child(userPath, "token_env")).map(SecretReference.environment)
            case (nil, _?): reference = reader.string(user["token_file"], ConfigReader.child(userPath, "token_file")).map(SecretReference.file)
            case (nil, nil):
                reader.report(ConfigReader.child(userPath, "token_env"), "is required (or token_file): the token itself is never written in the file", userNode)
                reference = nil
            case (_?, _?):
                reader.report(ConfigReader.child(userPath, "token_file"), "give either token_env or token_file, not both", user["token_file"])
                reference = nil
            }
            if let name, !names.insert(name).inserted {
                reader.report(ConfigReader.child(userPath, "name"), "user '\(name)' is listed twice", user["name"])
            }
            if let name, let reference { value.users.append(User(name: name, token: reference)) }
        }
        return value
    }
}
