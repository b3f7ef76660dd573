@preconcurrency import CCurl
import Foundation
import Logging

/// An async HTTP client on libcurl's multi interface.
///
/// One dedicated thread drives every request of a client, so thousands may be in flight at once without
/// occupying Swift's cooperative pool; connections are kept alive and reused. Create one client per
/// process (or per component), share it between tasks, and call ``shutdown()`` when done.
///
/// ```swift
/// let client = HTTPClient()
/// let response = try await client.execute(HTTPClient.Request("https://example.org/jobs"))
/// ```
///
/// Transfer failures throw ``HTTPClientError``; an HTTP error status is a normal ``Response``.
/// A cancelled task's request is aborted and throws `CancellationError`.
public final class HTTPClient: Sendable {
    /// The settings the client was created with.
    public let configuration: Configuration
    private let loop: CurlMultiLoop

    /// Creates a client and starts its event-loop thread.
    public init(configuration: Configuration = Configuration(), logger: Logger = Logger(label: "tilefleet.http")) {
        self.configuration = configuration
        self.loop = CurlMultiLoop(configuration: configuration, logger: logger)
    }

    deinit {
        self.loop.requestShutdown()
    }

    /// Stops the event loop; requests still running fail with ``HTTPClientError/Code/shutdown``.
    public func shutdown() async {
        await self.loop.shutdown()
    }

    /// Sends `request` and returns the final response (after redirects, if followed).
    public func execute(_ request: Request) async throws -> Response {
        try await self.transfer(request, downloadFileDescriptor: nil, maxDownloadBytes: nil).response
    }

    /// Runs one exchange on the loop; a 2xx body goes to `downloadFileDescriptor` when one is given,
    /// up to `maxDownloadBytes`.
    func transfer(_ request: Request, downloadFileDescriptor: Int32?, maxDownloadBytes: Int64?) async throws -> TransferResult {
        try Self.validate(request)
        let options = TransferSubmission.Options(
            timeoutMilliseconds: (request.timeout ?? self.configuration.timeout).curlMilliseconds,
            connectTimeoutMilliseconds: (request.connectTimeout ?? self.configuration.connectTimeout).curlMilliseconds,
            maxRedirects: self.configuration.maxRedirects,
            caBundlePath: self.configuration.caBundlePath,
            userAgent: self.configuration.userAgent,
            maxResponseBodySize: self.configuration.maxResponseBodySize,
            maxDownloadBytes: maxDownloadBytes,
            acceptCompressedResponses: self.configuration.acceptCompressedResponses
        )
        let loop = self.loop
        let id = loop.makeID()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                loop.submit(
                    TransferSubmission(
                        id: id,
                        request: request,
                        options: options,
                        downloadFileDescriptor: downloadFileDescriptor,
                        continuation: continuation
                    )
                )
            }
        } onCancel: {
            loop.cancel(id: id)
        }
    }

    /// Rejects what curl would misread or the server must never see: a URL that is not absolute
    /// `http`/`https`, and header fields that could inject lines.
    static func validate(_ request: Request) throws(HTTPClientError) {
        let scheme = try Self.scheme(of: request.url)
        guard scheme == "http" || scheme == "https" else {
            throw HTTPClientError(
                code: .invalidURL,
                message: "unsupported URL scheme '\(scheme)': only http and https are allowed",
                requestWasNotSent: true,
                url: request.url
            )
        }
        let forbidden: Set<Unicode.Scalar> = ["\r", "\n", "\0"]
        for field in request.headers {
            let badName = field.name.isEmpty
                || field.name.unicodeScalars.contains { forbidden.contains($0) || $0 == ":" || $0 == " " || $0 == "\t" }
            guard !badName, !field.value.unicodeScalars.contains(where: { forbidden.contains($0) }) else {
                throw HTTPClientError(
                    code: .invalidRequest,
                    message: "invalid header field '\(field.name.debugDescription)'",
                    requestWasNotSent: true,
                    url: request.url
                )
            }
        }
        guard !request.method.rawValue.isEmpty,
            request.method.rawValue.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || $0 == "-" })
        else {
            throw HTTPClientError(code: .invalidRequest, message: "invalid method '\(request.method)'", requestWasNotSent: true, url: request.url)
        }
    }

    /// The URL's scheme, lower-cased, as curl's URL parser sees it.
    private static func scheme(of url: String) throws(HTTPClientError) -> String {
        guard let handle = curl_url() else {
            throw HTTPClientError(code: .other, message: "curl_url failed: out of memory", requestWasNotSent: true)
        }
        defer { curl_url_cleanup(handle) }
        let setCode = curl_url_set(handle, CURLUPART_URL, url, 0)
        guard setCode == CURLUE_OK else {
            throw HTTPClientError(
                code: .invalidURL,
                message: "malformed URL: \(String(cString: curl_url_strerror(setCode)))",
                requestWasNotSent: true,
                url: url
            )
        }
        var part: UnsafeMutablePointer<CChar>?
        guard curl_url_get(handle, CURLUPART_SCHEME, &part, 0) == CURLUE_OK, let part else {
            throw HTTPClientError(code: .invalidURL, message: "malformed URL: no scheme", requestWasNotSent: true, url: url)
        }
        defer { curl_free(part) }
        return String(cString: part).lowercased()
    }
}
