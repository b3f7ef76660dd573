import FleetModel
import Foundation

/// The text a platform put in an error body: openEO `{code, message}`, RFC 7807
/// `{type, title, detail}`, OGC `{code, description}`, or the start of a non-JSON body.
enum PlatformMessage {
    /// `code: message` (or whatever part exists), else the body's first 300 characters.
    static func extract(from body: Data, status: Int) -> String {
        if let value = try? JSONDecoder().decode(JSONValue.self, from: body), case .object = value {
            let code = value["code"]?.stringValue ?? value["error"]?.stringValue ?? value["type"]?.stringValue
            let text = value["message"]?.stringValue ?? value["detail"]?.stringValue
                ?? value["description"]?.stringValue ?? value["error_description"]?.stringValue
                ?? value["title"]?.stringValue
            switch (code, text) {
            case (let code?, let text?): return "\(code): \(text)"
            case (nil, let text?): return text
            case (let code?, nil): return code
            case (nil, nil): break
            }
        }
        if let summary = self.htmlSummary(body) {
            return "HTTP \(status): \(summary)"
        }
        let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "HTTP \(status) with an empty body" : text
    }

    /// An HTML body (an error page of a web server or proxy) told by its title, never dumped:
    /// `an HTML page titled "404 Not Found"`; nil when the body is not HTML.
    static func htmlSummary(_ body: Data) -> String? {
        let head = String(decoding: body.prefix(4096), as: UTF8.self)
        let start = head.drop { $0.isWhitespace }.prefix(15).lowercased()
        guard start.hasPrefix("<!doctype html") || start.hasPrefix("<html") || head.range(of: "<html", options: .caseInsensitive) != nil else {
            return nil
        }
        for tag in ["title", "h1"] {
            if let open = head.range(of: "<\(tag)[^>]*>", options: [.regularExpression, .caseInsensitive]),
               let close = head.range(of: "</\(tag)>", options: .caseInsensitive, range: open.upperBound..<head.endIndex) {
                let text = head[open.upperBound..<close.lowerBound]
                    .replacingOccurrences(of: "<[^>]*>", with: "", options: .regularExpression)
                    .split(whereSeparator: \.isWhitespace).joined(separator: " ")
                if !text.isEmpty { return "an HTML page titled \"\(text.prefix(120))\"" }
            }
        }
        let text = head.replacingOccurrences(of: "<(script|style)[^>]*>.*?</(script|style)>", with: " ", options: [.regularExpression, .caseInsensitive])
            .replacingOccurrences(of: "<[^>]*>", with: " ", options: .regularExpression)
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return text.isEmpty ? "an HTML page (\(body.count) bytes) without text" : "an HTML page reading \"\(text.prefix(120))\""
    }

    /// Error codes that mean "a limit is reached, come back later" rather than "this job is wrong".
    static let tryLaterCodes = ["ConcurrentJobLimit", "TooManyRequests", "TooManyJobs", "QuotaExceeded", "RateLimit"]

    /// Error codes that mean "the account runs as many jobs as it may": a concurrency limit.
    static let concurrencyLimitCodes = ["ConcurrentJobLimit", "TooManyJobs"]

    /// Whether a "try later" text is a limit on concurrent jobs (not on the request rate or a quota).
    static func isConcurrencyLimit(_ message: String) -> Bool {
        concurrencyLimitCodes.contains { message.localizedCaseInsensitiveContains($0) }
    }

    /// Whether a 4xx body is a concurrency or quota limit.
    static func isTryLater(_ message: String) -> Bool {
        tryLaterCodes.contains { message.localizedCaseInsensitiveContains($0) }
    }
}

extension JSONValue {
    /// The members of an object, or `nil`.
    var jsonObject: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// A number or a numeric string as an integer.
    var jsonInt: Int? {
        if let number = self.numberValue { return Int(exactly: number.rounded()) }
        if let text = self.stringValue { return Int(text) }
        return nil
    }
}
