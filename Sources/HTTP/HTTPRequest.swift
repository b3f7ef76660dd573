import Foundation

extension HTTPClient {
    /// One HTTP request: what to send, and per-request limits that override the client's defaults.
    ///
    /// Its description is safe to log: sensitive header values and URL credentials are redacted.
    public struct Request: Sendable {
        /// The method; ``Method/get`` unless set.
        public var method: Method
        /// An absolute `http` or `https` URL.
        public var url: String
        /// Header fields sent as given (no `Content-Type` is invented when a body is set).
        public var headers: Headers
        /// The request body, sent as is. `nil` sends none.
        public var body: Data?
        /// Limit on the whole exchange including redirects; `nil` uses the client's default.
        public var timeout: Duration?
        /// Limit on establishing a connection (TCP and TLS); `nil` uses the client's default.
        public var connectTimeout: Duration?
        /// Whether redirects are followed, up to the client's ``Configuration/maxRedirects``.
        public var followRedirects: Bool

        /// Creates a request.
        public init(
            _ url: String,
            method: Method = .get,
            headers: Headers = [:],
            body: Data? = nil,
            timeout: Duration? = nil,
            connectTimeout: Duration? = nil,
            followRedirects: Bool = true
        ) {
            self.method = method
            self.url = url
            self.headers = headers
            self.body = body
            self.timeout = timeout
            self.connectTimeout = connectTimeout
            self.followRedirects = followRedirects
        }

        /// Sets `Authorization: Basic …` from a user name and password.
        public mutating func setBasicAuthorization(username: String, password: String) {
            let credentials = Data("\(username):\(password)".utf8).base64EncodedString()
            self.headers.replaceOrAdd(name: "Authorization", value: "Basic \(credentials)")
        }

        /// Sets `Authorization: Bearer <token>`.
        public mutating func setBearerToken(_ token: String) {
            self.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(token)")
        }
    }
}

extension HTTPClient.Request: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// `METHOD url [headers] (n bytes)`, with secrets redacted.
    public var description: String {
        var text = "\(self.method) \(Self.redactingCredentials(in: self.url))"
        if !self.headers.fields.isEmpty {
            text += " \(self.headers)"
        }
        if let body = self.body {
            text += " (\(body.count) bytes)"
        }
        return text
    }

    public var debugDescription: String {
        self.description
    }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "method": self.method,
                "url": Self.redactingCredentials(in: self.url),
                "headers": self.headers,
                "bodyBytes": self.body?.count as Any,
            ],
            displayStyle: .struct
        )
    }

    /// `METHOD url`, credentials redacted: how an error names the call that failed.
    public var methodAndURL: String {
        "\(self.method) \(Self.redactingCredentials(in: self.url))"
    }

    /// `url` with any `user:password@` part replaced by `<redacted>@`.
    public static func redactingCredentials(in url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let authorityStart = schemeEnd.upperBound
        let authorityEnd = url[authorityStart...].firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? url.endIndex
        guard let at = url[authorityStart..<authorityEnd].lastIndex(of: "@") else { return url }
        return String(url[..<authorityStart]) + "<redacted>" + String(url[at...])
    }
}
