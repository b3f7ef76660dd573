import FleetModel
import Foundation
import HTTP

/// Fetches a backend's result assets into a ``ConfinedDirectory``: `http`/`https` links streamed to
/// disk, `data:` URLs decoded, anything else refused.
///
/// The backend's credentials go only to its own origin (scheme, host and port of its API root): an
/// asset link elsewhere (a CDN, object storage) is fetched without them, and redirects are followed
/// here, hop by hop, so a redirect to another origin never carries them either. Every body is capped
/// at ``maxBytes`` (by `Content-Length` and by count), and every failure says why, naming the URL.
public struct AssetDownloader: Sendable {
    /// `scheme://host:port` of a URL, with the default port filled in.
    public struct Origin: Sendable, Hashable {
        public var scheme: String
        public var host: String
        public var port: Int

        public init?(_ url: URL) {
            guard let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased(), !host.isEmpty else { return nil }
            self.scheme = scheme
            self.host = host
            self.port = url.port ?? (scheme == "https" ? 443 : 80)
        }
    }

    public let client: HTTPClient
    /// The one origin that receives the backend's credentials.
    public let trustedOrigin: Origin?
    let authenticator: (any BackendAuthenticator)?
    /// The largest asset written, in bytes.
    public var maxBytes: Int64
    /// Redirects followed for one asset.
    public var maxRedirects: Int
    /// Limit on one transfer.
    public var timeout: Duration

    /// A downloader for the backend at `backendURL`; `authenticator` supplies its credentials.
    public init(client: HTTPClient, backendURL: String, authenticator: (any BackendAuthenticator)?,
                maxBytes: Int64 = 64 << 30, maxRedirects: Int = 10, timeout: Duration = .seconds(3600)) {
        self.client = client
        self.trustedOrigin = URL(string: backendURL).flatMap(Origin.init)
        self.authenticator = authenticator
        self.maxBytes = maxBytes
        self.maxRedirects = maxRedirects
        self.timeout = timeout
    }

    /// Writes the asset at `href` to `path` below `directory`; returns the bytes written.
    public func fetch(_ href: String, into directory: ConfinedDirectory, path: [String]) async throws(BackendError) -> Int64 {
        let link: AssetLink
        do throws(AssetLink.Refusal) {
            link = try AssetLink(href: href)
        } catch {
            throw .invalidResponse(message: "refused asset link: \(error.reason)")
        }
        switch link {
        case .inline(_, let bytes):
            guard Int64(bytes.count) <= self.maxBytes else {
                throw .invalidResponse(message: "the data URL holds \(bytes.count) bytes, more than the limit of \(self.maxBytes)")
            }
            do throws(HTTPClientError) {
                try directory.write(bytes, to: path)
            } catch {
                throw .configuration(message: error.message)
            }
            return Int64(bytes.count)
        case .remote(let url):
            return try await self.fetch(url, into: directory, path: path)
        }
    }

    private func fetch(_ first: URL, into directory: ConfinedDirectory, path: [String]) async throws(BackendError) -> Int64 {
        var url = first
        var redirects = 0
        var reauthorized = false
        while true {
            let shown = HTTPClient.Request.redactingCredentials(in: url.absoluteString)
            var request = HTTPClient.Request(url.absoluteString, timeout: self.timeout, followRedirects: false)
            var authorization: Secret?
            if let authenticator, let trustedOrigin, Origin(url) == trustedOrigin {
                do {
                    authorization = try await authenticator.authorization()
                } catch let error as BackendError {
                    throw error
                } catch {
                    throw .authentication(message: "\(error)")
                }
                if let authorization { request.headers.replaceOrAdd(name: "Authorization", value: authorization.value) }
            }
            let download: HTTPClient.Download
            do {
                download = try await self.client.download(request, into: directory, path: path, maxBytes: self.maxBytes)
            } catch let error as HTTPClientError {
                switch error.code {
                case .fileSystem: throw .configuration(message: error.message)
                case .responseTooLarge: throw .invalidResponse(message: "GET \(shown): \(error.message)")
                default: throw .transport(message: "GET \(shown): \(error)")
                }
            } catch {
                throw .transport(message: "GET \(shown): \(error)")
            }
            if download.file != nil { return download.bytes }
            let response = download.response
            if (300..<400).contains(response.status), let location = response.location {
                redirects += 1
                guard redirects <= self.maxRedirects else {
                    throw .invalidResponse(message: "GET \(shown): more than \(self.maxRedirects) redirects")
                }
                guard let next = URL(string: location, relativeTo: url)?.absoluteURL, case .remote? = try? AssetLink(href: next.absoluteString) else {
                    throw .invalidResponse(message: "GET \(shown): refused redirect to a non-http(s) location")
                }
                url = next
                continue
            }
            if response.status == 401, !reauthorized, let authenticator, let authorization, await authenticator.invalidate(authorization) {
                reauthorized = true
                continue
            }
            let message = "GET \(shown) answered \(response.status): " + PlatformMessage.extract(from: response.body, status: response.status)
            if response.status == 401 || response.status == 403 {
                throw .authentication(message: authorization == nil && self.trustedOrigin != Origin(url)
                    ? message + " (the backend's credentials are sent only to \(self.trustedOrigin.map { "\($0.scheme)://\($0.host):\($0.port)" } ?? "its own host"))"
                    : message)
            }
            throw BackendTransport.error(for: response, message: message)
        }
    }
}
