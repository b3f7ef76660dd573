import FleetConfig
import FleetModel
import Foundation

/// The refresh tokens of `tilefleet login`, in one JSON file only its owner may read (0600):
/// `{"<issuer>": {"<client id>": {"refresh_token": "…", "updated_at": "…"}}}`, as openEO's Python
/// client keeps them, so one file serves several backends and providers.
///
/// Every change happens under an exclusive lock on `<file>.lock` (``FileLock``) and is written
/// atomically (a temporary file renamed over the old one), so processes that share the file —
/// workers, the coordinator and `login` on one host, or hosts on a file system with working
/// locks — never see half a file and never lose a rotated token: ``refresh(issuer:clientID:_:)``
/// reads the newest token, uses it and writes its successor before the next process may read.
public struct RefreshTokenStore: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    var lockPath: String { path + ".lock" }

    struct Entry: Codable {
        var refreshToken: String
        var updatedAt: Date?

        enum CodingKeys: String, CodingKey {
            case refreshToken = "refresh_token"
            case updatedAt = "updated_at"
        }
    }

    typealias Document = [String: [String: Entry]]

    /// The stored refresh token of `clientID` at `issuer`; errors say what to do (log in).
    public func token(issuer: String, clientID: String) throws -> Secret {
        let document = try self.read(missingIsEmpty: false)
        guard let entry = document[Self.key(issuer)]?[clientID], !entry.refreshToken.isEmpty else {
            throw BackendError.configuration(message:
                "the token file \(path) holds no refresh token for client \(clientID) at \(issuer): run tilefleet login for this backend")
        }
        return Secret(entry.refreshToken)
    }

    /// Stores `token` for `clientID` at `issuer` (creating the file 0600), under the lock.
    public func store(_ token: Secret, issuer: String, clientID: String) async throws {
        self.makeDirectory()
        try await FileLock.withLock(lockPath) {
            var document = try self.read(missingIsEmpty: true)
            document[Self.key(issuer), default: [:]][clientID] = Entry(refreshToken: token.value, updatedAt: Date())
            try self.write(document)
        }
    }

    /// Removes the token of `clientID` at `issuer`; whether there was one.
    @discardableResult
    public func remove(issuer: String, clientID: String) async throws -> Bool {
        try await FileLock.withLock(lockPath) {
            var document = try self.read(missingIsEmpty: true)
            guard document[Self.key(issuer)]?.removeValue(forKey: clientID) != nil else { return false }
            if document[Self.key(issuer)]?.isEmpty == true { document.removeValue(forKey: Self.key(issuer)) }
            try self.write(document)
            return true
        }
    }

    /// Under the lock: reads the newest refresh token, runs `grant` with it and stores the refresh
    /// token the provider answered (a rotation) before releasing the lock.
    public func refresh(issuer: String, clientID: String, _ grant: (Secret) async throws -> TokenCache.Token) async throws -> TokenCache.Token {
        // Without a login there is nothing to lock: say so plainly.
        _ = try self.token(issuer: issuer, clientID: clientID)
        return try await FileLock.withLock(lockPath) {
            let current = try self.token(issuer: issuer, clientID: clientID)
            let token = try await grant(current)
            if let next = token.refreshToken, next != current {
                var document = try self.read(missingIsEmpty: false)
                document[Self.key(issuer), default: [:]][clientID] = Entry(refreshToken: next.value, updatedAt: Date())
                try self.write(document)
            }
            return token
        }
    }

    /// Issuers are compared without a trailing slash.
    static func key(_ issuer: String) -> String {
        issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
    }

    private func read(missingIsEmpty: Bool) throws -> Document {
        guard FileManager.default.fileExists(atPath: path) || !missingIsEmpty else { return [:] }
        let data: Data
        do {
            data = try FileAccess.load(path)
        } catch {
            throw BackendError.configuration(message: "the token file \(error) (run tilefleet login for this backend)")
        }
        if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
           let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 {
            throw BackendError.configuration(message:
                "the token file \(path) may be read by others (mode \(String(mode & 0o777, radix: 8))): chmod 600 \(path)")
        }
        guard !data.isEmpty else { return [:] }
        do {
            return try MessageCoding.decoder().decode(Document.self, from: data)
        } catch {
            throw BackendError.configuration(message: "the token file \(path) is not a tilefleet token file (JSON issuer → client → refresh_token)")
        }
    }

    /// The file's directory, created 0700 when missing.
    private func makeDirectory() {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
    }

    private func write(_ document: Document) throws {
        do {
            try FileAccess.save(try MessageCoding.encoder().encode(document), to: path, mode: 0o600)
        } catch let problem as FileAccess.Problem {
            throw BackendError.configuration(message: "the token file \(problem)")
        }
    }
}
