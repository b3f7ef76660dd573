import Foundation

extension HTTPClient {
    /// The value of a `Retry-After` header: a delay in seconds or an HTTP-date (RFC 9110 §10.2.3).
    public enum RetryAfter: Sendable, Equatable {
        /// `Retry-After: 120`.
        case seconds(Int)
        /// `Retry-After: Wed, 21 Oct 2015 07:28:00 GMT`.
        case date(Date)

        /// Parses a header value; `nil` when it is neither a non-negative integer nor an HTTP-date.
        public init?(headerValue: String) {
            let value = headerValue.trimmingCharacters(in: .whitespaces)
            if !value.isEmpty, value.allSatisfy(\.isASCIIDigit) {
                self = .seconds(Int(value) ?? Int.max)
                return
            }
            guard let date = Self.parseHTTPDate(value) else { return nil }
            self = .date(date)
        }

        /// How long to wait from `now`; never negative.
        public func delay(from now: Date = Date()) -> Duration {
            switch self {
            case .seconds(let seconds):
                return .seconds(seconds)
            case .date(let date):
                let interval = date.timeIntervalSince(now)
                return interval > 0 ? .milliseconds(Int64((interval * 1000).rounded(.up))) : .zero
            }
        }

        /// IMF-fixdate, then the obsolete RFC 850 and asctime forms that recipients must accept.
        static func parseHTTPDate(_ value: String) -> Date? {
            let formats = ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"]
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            let collapsed = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            for format in formats {
                formatter.dateFormat = format
                if let date = formatter.date(from: collapsed) {
                    return date
                }
            }
            return nil
        }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool {
        self >= "0" && self <= "9"
    }
}
