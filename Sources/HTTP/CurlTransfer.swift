@preconcurrency import CCurl
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a caller hands to the loop: a request with every default resolved, and where to deliver the outcome.
struct TransferSubmission: Sendable {
    let id: UInt64
    let request: HTTPClient.Request
    let options: Options
    /// An open, writable file descriptor that receives a 2xx body instead of memory.
    let downloadFileDescriptor: Int32?
    let continuation: CheckedContinuation<TransferResult, any Error>

    struct Options: Sendable {
        var timeoutMilliseconds: Int
        var connectTimeoutMilliseconds: Int
        var maxRedirects: Int
        var caBundlePath: String?
        var userAgent: String
        var maxResponseBodySize: Int
        /// The largest 2xx body written to the download file descriptor; `nil`: no limit.
        var maxDownloadBytes: Int64?
        var acceptCompressedResponses: Bool
    }
}

/// The outcome of a completed exchange.
struct TransferResult: Sendable {
    var response: HTTPClient.Response
    /// Bytes written to the download file descriptor.
    var downloadedBytes: Int64
}

/// One request in flight: the easy handle's configuration and the response as it arrives.
/// Lives on the loop thread only; curl's callbacks reach it through an unretained user-data pointer.
final class CurlTransfer {
    let id: UInt64
    let easy: CurlEasyHandle
    let continuation: CheckedContinuation<TransferResult, any Error>
    private let url: String
    private let maxResponseBodySize: Int
    private let maxDownloadBytes: Int64?
    private let downloadFileDescriptor: Int32?
    private var requestHeaders: UnsafeMutablePointer<curl_slist>?

    private var status = 0
    private var responseHeaders = HTTPClient.Headers()
    private var body = Data()
    private var downloadedBytes: Int64 = 0
    /// Why a callback stopped the transfer, reported instead of curl's generic write error.
    private var callbackFailure: HTTPClientError?

    init(submission: TransferSubmission, easy: CurlEasyHandle) {
        self.id = submission.id
        self.easy = easy
        self.continuation = submission.continuation
        self.url = submission.request.url
        self.maxResponseBodySize = submission.options.maxResponseBodySize
        self.maxDownloadBytes = submission.options.maxDownloadBytes
        self.downloadFileDescriptor = submission.downloadFileDescriptor
    }

    deinit {
        curl_slist_free_all(self.requestHeaders)
    }

    /// Sets every option of the easy handle for `request`.
    func configure(_ request: HTTPClient.Request, options: TransferSubmission.Options) throws(HTTPClientError) {
        let easy = self.easy
        let userData = Unmanaged.passUnretained(self).toOpaque()

        try easy.set(CURLOPT_URL, request.url)
        try easy.set(CURLOPT_PROTOCOLS_STR, "http,https")
        try easy.set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        try easy.set(CURLOPT_NOSIGNAL, 1)
        try easy.set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(easy.errorBuffer))
        try easy.set(CURLOPT_TIMEOUT_MS, options.timeoutMilliseconds)
        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, options.connectTimeoutMilliseconds)
        try easy.set(CURLOPT_SSL_VERIFYPEER, 1)
        try easy.set(CURLOPT_SSL_VERIFYHOST, 2)
        if let caBundlePath = options.caBundlePath {
            try easy.set(CURLOPT_CAINFO, caBundlePath)
        }
        try easy.set(CURLOPT_TCP_KEEPALIVE, 1)
        try easy.set(CURLOPT_USERAGENT, options.userAgent)
        if options.acceptCompressedResponses {
            try easy.set(CURLOPT_ACCEPT_ENCODING, "")
        }
        if request.followRedirects {
            try easy.set(CURLOPT_FOLLOWLOCATION, 1)
            try easy.set(CURLOPT_MAXREDIRS, options.maxRedirects)
        }

        try self.configureMethodAndBody(request)
        try self.configureHeaders(request)

        try easy.set(CURLOPT_HEADERDATA, pointer: userData)
        try easy.set(CURLOPT_HEADERFUNCTION, callback: { buffer, size, count, userData in
            guard let buffer, let userData else { return 0 }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(userData).takeUnretainedValue()
            return transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: buffer, count: size * count)) ? size * count : 0
        })
        try easy.set(CURLOPT_WRITEDATA, pointer: userData)
        try easy.set(CURLOPT_WRITEFUNCTION, callback: { buffer, size, count, userData in
            guard let buffer, let userData else { return 0 }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(userData).takeUnretainedValue()
            return transfer.receiveBody(UnsafeRawBufferPointer(start: buffer, count: size * count))
        })
    }

    private func configureMethodAndBody(_ request: HTTPClient.Request) throws(HTTPClientError) {
        switch request.method {
        case .get where request.body == nil:
            try self.easy.set(CURLOPT_HTTPGET, 1)
        case .head:
            try self.easy.set(CURLOPT_NOBODY, 1)
        case .post:
            try self.easy.set(CURLOPT_POST, 1)
        default:
            try self.easy.set(CURLOPT_CUSTOMREQUEST, request.method.rawValue)
        }
        guard request.method == .post || request.body != nil else { return }
        let body = request.body ?? Data()
        try self.easy.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: Int64(body.count))
        let code = body.withUnsafeBytes { bytes in
            let empty: StaticString = ""
            let start = bytes.baseAddress ?? UnsafeRawPointer(empty.utf8Start)
            return tf_curl_easy_setopt_pointer(self.easy.pointer, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: start))
        }
        guard code == CURLE_OK else {
            throw HTTPClientError(
                code: .invalidRequest,
                message: "could not set the request body: \(String(cString: curl_easy_strerror(code)))",
                curlCode: Int(code.rawValue),
                requestWasNotSent: true,
                url: request.url
            )
        }
    }

    /// Passes the caller's headers, and suppresses curl's own `Expect: 100-continue` (a round trip per
    /// upload) and its invented form `Content-Type` for bodies.
    private func configureHeaders(_ request: HTTPClient.Request) throws(HTTPClientError) {
        var lines: [String] = []
        for field in request.headers {
            lines.append(field.value.isEmpty ? "\(field.name);" : "\(field.name): \(field.value)")
        }
        if !request.headers.contains("Expect") {
            lines.append("Expect:")
        }
        if request.body != nil || request.method == .post, !request.headers.contains("Content-Type") {
            lines.append("Content-Type:")
        }
        var list: UnsafeMutablePointer<curl_slist>?
        for line in lines {
            guard let appended = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                throw HTTPClientError(code: .invalidRequest, message: "out of memory building headers", requestWasNotSent: true)
            }
            list = appended
        }
        self.requestHeaders = list
        try self.easy.set(CURLOPT_HTTPHEADER, list: list)
    }

    /// A status line starts a new response (after a redirect or a `100 Continue`): only the last one counts.
    /// Returns false (stopping the transfer) when a download's 2xx `Content-Length` exceeds its limit.
    private func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) -> Bool {
        switch HTTPHeaderLine(bytes) {
        case .other:
            return true
        case .status(let code):
            self.status = code
            self.responseHeaders = HTTPClient.Headers()
            return true
        case .field(let name, let value):
            self.responseHeaders.add(name: name, value: value)
            if let limit = self.maxDownloadBytes, self.downloadFileDescriptor != nil, (200..<300).contains(self.status),
                name.lowercased() == "content-length", let announced = Int64(value), announced > limit
            {
                self.callbackFailure = self.tooLarge("the server announces \(announced) bytes, more than the limit of \(limit)")
                return false
            }
            return true
        }
    }

    private func tooLarge(_ message: String) -> HTTPClientError {
        HTTPClientError(code: .responseTooLarge, message: message, url: self.url)
    }

    /// Returns the number of bytes consumed; anything else makes curl stop with `CURLE_WRITE_ERROR`.
    private func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        if let descriptor = self.downloadFileDescriptor, (200..<300).contains(self.status) {
            return self.writeDownload(bytes, to: descriptor)
        }
        guard self.body.count + bytes.count <= self.maxResponseBodySize else {
            self.callbackFailure = HTTPClientError(
                code: .responseTooLarge,
                message: "response body exceeds \(self.maxResponseBodySize) bytes",
                url: self.url
            )
            return 0
        }
        self.body.append(bytes.assumingMemoryBound(to: UInt8.self))
        return bytes.count
    }

    private func writeDownload(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) -> Int {
        if let limit = self.maxDownloadBytes, self.downloadedBytes + Int64(bytes.count) > limit {
            self.callbackFailure = self.tooLarge("the download exceeds the limit of \(limit) bytes")
            return 0
        }
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                self.callbackFailure = HTTPClientError(
                    code: .fileSystem,
                    message: "writing the download failed: \(String(cString: strerror(errno)))",
                    url: self.url
                )
                return 0
            }
            offset += written
        }
        self.downloadedBytes += Int64(bytes.count)
        return bytes.count
    }

    /// The outcome once curl reports the transfer done with `code`. Reads the handle: call before reset.
    func outcome(_ code: CURLcode) -> Result<TransferResult, HTTPClientError> {
        guard code == CURLE_OK else {
            return .failure(self.callbackFailure ?? self.error(for: code))
        }
        let response = HTTPClient.Response(
            status: self.easy.info(long: CURLINFO_RESPONSE_CODE),
            headers: self.responseHeaders,
            body: self.body,
            effectiveURL: self.easy.info(string: CURLINFO_EFFECTIVE_URL) ?? self.url,
            redirectCount: self.easy.info(long: CURLINFO_REDIRECT_COUNT)
        )
        return .success(TransferResult(response: response, downloadedBytes: self.downloadedBytes))
    }

    private func error(for code: CURLcode) -> HTTPClientError {
        let nothingSent = self.easy.info(long: CURLINFO_REQUEST_SIZE) == 0
        let errorCode: HTTPClientError.Code
        var neverSentWhenNothingSent = true
        switch code {
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            errorCode = .invalidURL
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            errorCode = .couldNotResolveHost
        case CURLE_COULDNT_CONNECT:
            errorCode = .couldNotConnect
        case CURLE_OPERATION_TIMEDOUT:
            let connected = self.easy.info(offset: CURLINFO_PRETRANSFER_TIME_T) > 0
            errorCode = nothingSent && !connected ? .connectTimeout : .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_CRL_BADFILE,
            CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_CLIENTCERT,
            CURLE_USE_SSL_FAILED:
            errorCode = .tls
        case CURLE_TOO_MANY_REDIRECTS:
            errorCode = .tooManyRedirects
            neverSentWhenNothingSent = false
        case CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM:
            errorCode = .connectionLost
        default:
            errorCode = .other
            neverSentWhenNothingSent = false
        }
        return HTTPClientError(
            code: errorCode,
            message: self.easy.errorMessage(for: code),
            curlCode: Int(code.rawValue),
            requestWasNotSent: neverSentWhenNothingSent && nothingSent,
            url: self.url
        )
    }
}
