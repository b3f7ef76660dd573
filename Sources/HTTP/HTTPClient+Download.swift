import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension HTTPClient {
    /// The result of ``HTTPClient/download(_:to:)``.
    public struct Download: Sendable {
        /// The final response. On success its body is empty (the bytes are in the file); otherwise it
        /// carries the error body and no file was written.
        public var response: Response
        /// The destination file, present only when a 2xx body was stored there.
        public var file: URL?
        /// Bytes written to the file.
        public var bytes: Int64
    }

    /// Streams a response body straight to `destination` without holding it in memory.
    ///
    /// The body is written to a temporary file next to `destination` that is renamed into place only
    /// when the transfer completes with a 2xx status, so `destination` never holds a partial file.
    /// Any other status leaves `destination` untouched and returns the error body in the response.
    /// The request's total timeout covers the whole download: give large files a generous one.
    public func download(_ request: Request, to destination: URL) async throws -> Download {
        let temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString).part")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw HTTPClientError(
                code: .fileSystem,
                message: "cannot create \(temporary.path): \(String(cString: strerror(errno)))",
                requestWasNotSent: true,
                url: request.url
            )
        }
        let result: TransferResult
        do {
            result = try await self.transfer(request, downloadFileDescriptor: descriptor)
        } catch {
            close(descriptor)
            unlink(temporary.path)
            throw error
        }
        let synced = fsync(descriptor) == 0
        let closed = close(descriptor) == 0
        guard result.response.isSuccess else {
            unlink(temporary.path)
            return Download(response: result.response, file: nil, bytes: 0)
        }
        guard synced, closed, rename(temporary.path, destination.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw HTTPClientError(
                code: .fileSystem,
                message: "cannot store the download at \(destination.path): \(reason)",
                url: request.url
            )
        }
        return Download(response: result.response, file: destination, bytes: result.downloadedBytes)
    }
}
