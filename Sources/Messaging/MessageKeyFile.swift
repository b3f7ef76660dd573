#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// A key file that follows its changes: the ring is read again when the file's inode, size or
/// modification time changed (looked at no more than once per `recheck`), so a key rotated by
/// rewriting the file (`tilefleet keys rotate`, an atomic rename) reaches running processes
/// without a restart. A rewrite that cannot be read keeps the previous ring in use.
public final class MessageKeyFile: Sendable {
    public let path: String
    private let recheck: Duration
    private let state: Mutex<State>

    private struct State {
        var ring: MessageKeyRing
        var identity: FileIdentity
        var checkedAt: ContinuousClock.Instant
        var problem: MessageKeyRing.Problem?
    }

    struct FileIdentity: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modified: Int64
        var modifiedNanoseconds: Int64
    }

    /// Reads the ring from `path`; throws when the file cannot be read, is open to other users or
    /// holds no valid key.
    public init(path: String, recheck: Duration = .seconds(1)) throws(MessageKeyRing.Problem) {
        self.path = path
        self.recheck = recheck
        let (ring, identity) = try Self.load(path)
        state = Mutex(State(ring: ring, identity: identity, checkedAt: .now, problem: nil))
    }

    /// The ring as the file has it now (or the last one that could be read).
    public var ring: MessageKeyRing { ring(forcing: false) }

    /// The ring, looked up again at once when it lacks `keyID`: a key just added to the file is
    /// accepted from the first message tagged with it, not a `recheck` later.
    public func ring(accepting keyID: Substring) -> MessageKeyRing {
        let current = ring
        return current.keyIDs.contains(String(keyID)) ? current : ring(forcing: true)
    }

    private func ring(forcing: Bool) -> MessageKeyRing {
        state.withLock { state in
            let now = ContinuousClock.now
            guard forcing || now - state.checkedAt >= recheck else { return state.ring }
            state.checkedAt = now
            guard let identity = try? Self.identity(path), identity != state.identity else { return state.ring }
            do throws(MessageKeyRing.Problem) {
                let (ring, identity) = try Self.load(path)
                state.ring = ring
                state.identity = identity
                state.problem = nil
            } catch {
                state.problem = error
            }
            return state.ring
        }
    }

    /// Why the latest rewrite of the file was not taken up, if it was not.
    public var problem: MessageKeyRing.Problem? { state.withLock { $0.problem } }

    static func load(_ path: String) throws(MessageKeyRing.Problem) -> (MessageKeyRing, FileIdentity) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw MessageKeyRing.Problem("\(path): cannot read the key file: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw MessageKeyRing.Problem("\(path): cannot read the key file: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw MessageKeyRing.Problem("\(path): the key file is not a regular file") }
        guard info.st_mode & 0o077 == 0 else {
            throw MessageKeyRing.Problem("\(path): the key file may be read by other users (mode \(String(info.st_mode & 0o777, radix: 8))); chmod 600 it")
        }
        guard info.st_size <= 64 * 1024 else { throw MessageKeyRing.Problem("\(path): the key file is larger than 64 KiB") }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw MessageKeyRing.Problem("\(path): cannot read the key file: \(String(cString: strerror(errno)))")
            }
            bytes += buffer[0..<count]
            if bytes.count > 64 * 1024 { throw MessageKeyRing.Problem("\(path): the key file is larger than 64 KiB") }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw MessageKeyRing.Problem("\(path): the key file is not UTF-8 text")
        }
        return (try MessageKeyRing(parsing: text, source: path), FileIdentity(info))
    }

    static func identity(_ path: String) throws -> FileIdentity {
        var info = stat()
        guard stat(path, &info) == 0 else { throw MessageKeyRing.Problem(path) }
        return FileIdentity(info)
    }
}

extension MessageKeyFile.FileIdentity {
    init(_ info: stat) {
        self.init(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
                  modified: Int64(info.st_mtim.tv_sec), modifiedNanoseconds: Int64(info.st_mtim.tv_nsec))
    }
}
