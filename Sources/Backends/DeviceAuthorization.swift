import FleetModel
import Foundation
import Timing

/// A provider's answer to a device authorization request (RFC 8628 §3.2): the code the client
/// polls with (a secret), the code and URL shown to the person, how long they hold, how often to poll.
public struct DeviceAuthorization: Sendable {
    public var deviceCode: Secret
    public var userCode: String
    public var verificationURI: String
    /// The URL with the user code in it, where the provider gives one.
    public var verificationURIComplete: String?
    public var expiresIn: Duration
    public var interval: Duration

    /// Parses and checks the answer: both codes present, the URLs `https` (or `http` on a
    /// loopback host), codes short and printable, since they are shown on a terminal.
    static func parse(_ body: Data, source: String) throws -> DeviceAuthorization {
        guard let document = try? JSONDecoder().decode(JSONValue.self, from: body), document.jsonObject != nil else {
            throw BackendError.invalidResponse(message: "the device authorization answer of \(source) is not a JSON object")
        }
        guard let deviceCode = document["device_code"]?.stringValue, !deviceCode.isEmpty,
              let userCode = document["user_code"]?.stringValue, !userCode.isEmpty, userCode.count <= 64,
              !userCode.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f })
        else {
            throw BackendError.invalidResponse(message: "the device authorization answer of \(source) lacks a device_code or a printable user_code")
        }
        guard let uri = document["verification_uri"]?.stringValue ?? document["verification_url"]?.stringValue, Self.isWebURL(uri) else {
            throw BackendError.invalidResponse(message: "the device authorization answer of \(source) has no https verification_uri")
        }
        let complete = document["verification_uri_complete"]?.stringValue.flatMap { Self.isWebURL($0) ? $0 : nil }
        let expires = document["expires_in"]?.numberValue ?? 600
        let interval = document["interval"]?.numberValue ?? 5
        return DeviceAuthorization(deviceCode: Secret(deviceCode), userCode: userCode, verificationURI: uri, verificationURIComplete: complete,
                                   expiresIn: .seconds(min(max(expires, 1), 86_400)), interval: .seconds(min(max(interval, 1), 60)))
    }

    /// An `https` URL, or `http` to a loopback host (a local provider), without control characters.
    static func isWebURL(_ text: String) -> Bool {
        guard text.count <= 2048, !text.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7f }),
              let components = URLComponents(string: text), let host = components.host, !host.isEmpty else { return false }
        switch components.scheme?.lowercased() {
        case "https": return true
        case "http": return host == "127.0.0.1" || host == "localhost" || host == "::1" || host == "[::1]"
        default: return false
        }
    }
}

/// The polling of the token endpoint during a device authorization grant (RFC 8628 §3.4–3.5) as a
/// state machine: from the provider's answers to what to do next. Pure, so every rule is tested.
///
/// - `authorization_pending`: poll again after the interval;
/// - `slow_down`: the interval grows by 5 s, for this and every later poll;
/// - `expired_token`, or the code's lifetime running out: fail (log in again);
/// - `access_denied`: fail (the person refused);
/// - any other error: fail with the provider's words.
public struct DeviceTokenPoll: Sendable {
    /// The provider's answer to one poll.
    public enum Answer: Sendable {
        case token(TokenCache.Token)
        case error(code: String, description: String?)
    }

    /// What to do next.
    public enum Step: Sendable {
        case wait(Duration)
        case done(TokenCache.Token)
        case failed(String)
    }

    public private(set) var interval: Duration
    public let expiresAt: Date

    public init(authorization: DeviceAuthorization, started: Date) {
        self.interval = authorization.interval
        self.expiresAt = started.addingTimeInterval(authorization.expiresIn.inSeconds)
    }

    /// The first step: wait one interval before the first poll.
    public func start() -> Step { .wait(interval) }

    public mutating func receive(_ answer: Answer, now: Date) -> Step {
        switch answer {
        case .token(let token):
            return .done(token)
        case .error(let code, let description):
            let said = description.map { ": \($0)" } ?? ""
            switch code {
            case "authorization_pending":
                break
            case "slow_down":
                interval += .seconds(5)
            case "expired_token":
                return .failed("the device code expired before the login was approved\(said): run tilefleet login again")
            case "access_denied":
                return .failed("the login was refused at the provider\(said)")
            default:
                return .failed("the provider refused the device code (\(code))\(said)")
            }
            guard now.addingTimeInterval(interval.inSeconds) < expiresAt else {
                return .failed("the device code expired before the login was approved: run tilefleet login again")
            }
            return .wait(interval)
        }
    }
}
