#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// An exclusive advisory lock (`flock`) on a file beside the one it guards, so processes sharing a
/// file (several workers and `tilefleet login` on one host, or hosts on a file system with working
/// locks) change it one at a time. Taken without blocking a thread: a busy lock is tried again
/// after a short sleep, up to `timeout`.
public struct FileLock: Sendable {
    /// The lock file's path.
    public let path: String
    private let descriptor: Int32

    /// Takes the lock on `path` (created 0600 if missing); throws ``FileAccess/Problem`` when the
    /// file cannot be opened, or when another process held the lock for all of `timeout`.
    public static func acquire(_ path: String, timeout: Duration = .seconds(30)) async throws -> FileLock {
        let descriptor = open(path, O_RDWR | O_CREAT, 0o600)
        guard descriptor >= 0 else {
            throw FileAccess.Problem(path: path, writing: true, reason: FileAccess.reason(errno, path: path))
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR else {
                close(descriptor)
                throw FileAccess.Problem(path: path, writing: true, reason: FileAccess.reason(code, path: path))
            }
            guard clock.now < deadline else {
                close(descriptor)
                throw FileAccess.Problem(path: path, writing: true, reason: "another process has held its lock for more than \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return FileLock(path: path, descriptor: descriptor)
    }

    /// Releases the lock.
    public func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// Runs `body` holding the lock on `path`.
    public static func withLock<T>(_ path: String, timeout: Duration = .seconds(30), isolation: isolated (any Actor)? = #isolation,
                                   _ body: () async throws -> T) async throws -> T {
        let lock = try await acquire(path, timeout: timeout)
        defer { lock.release() }
        return try await body()
    }
}
