import FleetModel
import Foundation

/// Proof Key for Code Exchange (RFC 7636) with `S256`: a random verifier kept by the client and
/// its challenge, `BASE64URL(SHA-256(verifier))`, sent with the authorization request, so a code
/// intercepted on its way is useless without the verifier.
public struct PKCE: Sendable, Hashable {
    /// 43 characters of the unreserved alphabet (32 random bytes, base64url).
    public let verifier: String
    public let challenge: String
    public let method = "S256"

    public init(verifier: String) {
        self.verifier = verifier
        self.challenge = Self.challenge(of: verifier)
    }

    /// `BASE64URL(SHA-256(verifier))`.
    public static func challenge(of verifier: String) -> String {
        SHA256Digest.pkceChallenge(verifier)
    }

    /// A fresh verifier from the system's random source.
    public static func random() -> PKCE {
        var generator = SystemRandomNumberGenerator()
        return PKCE(verifier: SHA256Digest.base64URL((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }))
    }
}
