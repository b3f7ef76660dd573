import Foundation

extension HTTPClient {
    /// The result of ``HTTPClient/download(_:into:path:maxBytes:)``.
    public struct Download: Sendable {
        /// The final response. On success its body is empty (the bytes are in the file); otherwise it
        /// carries the error body and no file was written.
        public var response: Response
        /// The destination file, present only when a 2xx body was stored there.
        public var file: URL?
        /// Bytes written to the file.
        public var bytes: Int64
    }

    /// Streams a response body straight to `destination` without holding it in memory; see
    /// ``download(_:into:path:maxBytes:)``.
    public func download(_ request: Request, to destination: URL, maxBytes: Int64? = nil) async throws -> Download {
        let directory = try ConfinedDirectory(path: destination.deletingLastPathComponent().path)
        return try await self.download(request, into: directory, path: [destination.lastPathComponent], maxBytes: maxBytes)
    }

    /// Streams a response body to the file `path` below `directory` without holding it in memory.
    ///
    /// The path is checked and its directories opened without following links before the request is
    /// sent (see ``ConfinedDirectory``). The body is written to a temporary file next to the
    /// destination that is renamed into place only when the transfer completes with a 2xx status, so
    /// the destination never holds a partial file. Any other status leaves it untouched and returns
    /// the error body in the response. A 2xx body larger than `maxBytes` — announced by
    /// `Content-Length` or counted as it arrives — stops the transfer with
    /// ``HTTPClientError/Code/responseTooLarge``. The request's total timeout covers the whole
    /// download: give large files a generous one.
    public func download(_ request: Request, into directory: ConfinedDirectory, path: [String], maxBytes: Int64? = nil) async throws -> Download {
        let file = try directory.create(path)
        let result: TransferResult
        do {
            result = try await self.transfer(request, downloadFileDescriptor: file.descriptor, maxDownloadBytes: maxBytes)
        } catch {
            file.abandon()
            throw error
        }
        guard result.response.isSuccess else {
            file.abandon()
            return Download(response: result.response, file: nil, bytes: 0)
        }
        do throws(HTTPClientError) {
            try file.commit()
        } catch {
            throw HTTPClientError(code: .fileSystem, message: error.message, url: request.url)
        }
        let destination = URL(fileURLWithPath: ([directory.path] + path).joined(separator: "/"))
        return Download(response: result.response, file: destination, bytes: result.downloadedBytes)
    }
}
