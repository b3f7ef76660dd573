@testable import Backends
import FleetModel
import Foundation
import Testing

/// The pure parts of `tilefleet login`: PKCE S256, the device authorization answer and the
/// polling rules of RFC 8628.
@Suite struct DeviceFlowTests {
    @Test func pkceS256MatchesRFC7636AppendixB() {
        let pkce = PKCE(verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        #expect(pkce.challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        #expect(pkce.method == "S256")
        // FIPS 180-4 examples: one block, two blocks.
        #expect(SHA256Digest.hash(Array("abc".utf8)).map { String(format: "%02x", $0) }.joined()
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256Digest.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)).map { String(format: "%02x", $0) }.joined()
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let random = PKCE.random()
        #expect(random.verifier.count == 43)
        #expect(random.verifier.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(PKCE.random().verifier != random.verifier)
    }

    static func authorization(interval: Double = 5, expires: Double = 30) throws -> DeviceAuthorization {
        try DeviceAuthorization.parse(Data("""
            {"device_code":"dc-1","user_code":"WDJB-MJHT","verification_uri":"https://idp.example/device",
             "verification_uri_complete":"https://idp.example/device?user_code=WDJB-MJHT","expires_in":\(expires),"interval":\(interval)}
            """.utf8), source: "test")
    }

    @Test func pollingFollowsRFC8628() throws {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var poll = DeviceTokenPoll(authorization: try Self.authorization(expires: 40), started: start)
        guard case .wait(let first) = poll.start() else { Issue.record("no first wait"); return }
        #expect(first == .seconds(5))
        guard case .wait(let pending) = poll.receive(.error(code: "authorization_pending", description: nil), now: start + 5) else {
            Issue.record("pending did not wait"); return
        }
        #expect(pending == .seconds(5))
        guard case .wait(let slower) = poll.receive(.error(code: "slow_down", description: nil), now: start + 10) else {
            Issue.record("slow_down did not wait"); return
        }
        #expect(slower == .seconds(10), "slow_down adds 5 s")
        guard case .wait(let still) = poll.receive(.error(code: "authorization_pending", description: nil), now: start + 20) else {
            Issue.record("pending did not wait"); return
        }
        #expect(still == .seconds(10), "and the longer interval stays")
        // The code's lifetime (40 s) would run out before the next poll.
        guard case .failed(let expired) = poll.receive(.error(code: "authorization_pending", description: nil), now: start + 31) else {
            Issue.record("did not give up at expiry"); return
        }
        #expect(expired.contains("expired"))
        var refused = DeviceTokenPoll(authorization: try Self.authorization(), started: start)
        guard case .failed(let denied) = refused.receive(.error(code: "access_denied", description: "User said no"), now: start + 5) else {
            Issue.record("access_denied did not fail"); return
        }
        #expect(denied == "the login was refused at the provider: User said no")
        guard case .failed(let gone) = refused.receive(.error(code: "expired_token", description: nil), now: start + 5) else {
            Issue.record("expired_token did not fail"); return
        }
        #expect(gone.hasPrefix("the device code expired before the login was approved"))
        guard case .done(let token) = refused.receive(.token(TokenCache.Token(accessToken: Secret("a"), refreshToken: Secret("r"))), now: start + 5) else {
            Issue.record("a token did not finish"); return
        }
        #expect(token.refreshToken == Secret("r"))
    }

    @Test func aDeviceAuthorizationAnswerIsCheckedBeforeItIsShown() throws {
        let good = try Self.authorization()
        #expect(good.userCode == "WDJB-MJHT")
        #expect(good.verificationURIComplete == "https://idp.example/device?user_code=WDJB-MJHT")
        func refused(_ json: String) -> Bool {
            (try? DeviceAuthorization.parse(Data(json.utf8), source: "test")) == nil
        }
        #expect(refused(#"{"device_code":"d","user_code":"A","verification_uri":"javascript:alert(1)"}"#))
        #expect(refused(#"{"device_code":"d","user_code":"A","verification_uri":"http://idp.example/device"}"#), "plain http only on loopback")
        #expect(refused(#"{"device_code":"d","user_code":"A\u001b[2J","verification_uri":"https://idp.example/device"}"#))
        #expect(refused(#"{"user_code":"A","verification_uri":"https://idp.example/device"}"#))
        #expect(!refused(#"{"device_code":"d","user_code":"A","verification_uri":"http://127.0.0.1:9/device"}"#))
        let odd = try DeviceAuthorization.parse(Data(#"{"device_code":"d","user_code":"A","verification_uri":"https://x.example/d","verification_uri_complete":"file:///etc/passwd","interval":0}"#.utf8), source: "t")
        #expect(odd.verificationURIComplete == nil)
        #expect(odd.interval == .seconds(1))
    }
}
