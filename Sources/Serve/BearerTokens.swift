import Backends
import FleetConfig

/// The API users' bearer tokens, resolved once from their references (`serve.users` in the fleet
/// configuration). Only their names are ever logged or shown.
public struct BearerTokens: Sendable {
    private var tokens: [(user: String, token: Secret)]

    /// A token that cannot be read: the user's key path and name, and the variable or file.
    public struct Unreadable: Error, CustomStringConvertible {
        public var description: String
    }

    /// Resolves every user's token reference; throws ``Unreadable`` naming the user and the
    /// variable or file of the first that cannot be read (never a value).
    public init(_ users: [ServeConfiguration.User], environment: [String: String]) throws(Unreadable) {
        tokens = []
        for (index, user) in users.enumerated() {
            do {
                tokens.append((user.name, try user.token.resolve(environment: environment)))
            } catch {
                let reason = if case .configuration(let message) = error as? BackendError { message } else { "\(error)" }
                throw Unreadable(description: "serve.users[\(index)] (\(user.name)): \(reason)")
            }
        }
    }

    /// Tokens as given (tests).
    public init(tokens: [String: String]) {
        self.tokens = tokens.map { ($0.key, Secret($0.value)) }
    }

    public var isEmpty: Bool { tokens.isEmpty }
    public var userNames: [String] { tokens.map(\.user) }

    /// The user whose token `token` is, comparing every token in full (no early exit on the first
    /// differing byte, so timing tells nothing about a token's prefix).
    public func user(for token: Substring) -> String? {
        var found: String?
        let given = Array(token.utf8)
        for (user, secret) in tokens where Self.equal(given, Array(secret.value.utf8)) && found == nil {
            found = user
        }
        return found
    }

    /// The user of an `Authorization: Bearer <token>` header value.
    public func user(authorization: String?) -> String? {
        guard let authorization else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return user(for: parts[1].drop(while: { $0 == " " }))
    }

    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}
