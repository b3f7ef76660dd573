import Crypto
import Foundation

/// SHA-256 for PKCE challenges (RFC 7636 S256), made by `tilefleet login` and checked by the
/// simulator's provider; swift-crypto's, the one crypto library of the package (message tags use
/// it too).
public enum SHA256Digest {
    /// The PKCE `S256` challenge of `verifier`: `BASE64URL(SHA-256(verifier))`, unpadded (RFC 7636 §4.2).
    public static func pkceChallenge(_ verifier: String) -> String {
        base64URL(hash(Array(verifier.utf8)))
    }

    /// `bytes` in unpadded base64url (RFC 4648 §5), as PKCE verifiers and challenges are written.
    public static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The digest of `message`.
    public static func hash(_ message: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: message))
    }
}
