#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Reading and writing the files users name (task specs, AOIs, process graphs, exports), with
/// errors that give the path and the reason in plain words (`out/x.geojson: cannot write: no
/// such directory 'out'`) instead of Foundation's `NSCocoaErrorDomain Code=4` dumps, which lose
/// the reason on Linux. Plain POSIX calls, so the reason is the system's own.
public enum FileAccess {
    /// What went wrong with a file: its path, what was tried and why it failed.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var path: String
        /// Whether writing (else reading) failed.
        public var writing: Bool
        /// The reason in plain words (`no such file`, `permission denied`).
        public var reason: String

        public var description: String { "\(path): cannot \(writing ? "write" : "read"): \(reason)" }
    }

    /// The whole file at `path`.
    public static func load(_ path: String) throws(Problem) -> Data {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw Problem(path: path, writing: false, reason: reason(errno, path: path)) }
        defer { close(descriptor) }
        var info = stat()
        if fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            throw Problem(path: path, writing: false, reason: "it is a directory, not a file")
        }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return data }
            if count < 0 {
                if errno == EINTR { continue }
                throw Problem(path: path, writing: false, reason: reason(errno, path: path))
            }
            data.append(contentsOf: buffer[0..<count])
        }
    }

    /// The file at `path` as UTF-8 text.
    public static func loadText(_ path: String) throws(Problem) -> String {
        let data = try load(path)
        guard let text = String(data: data, encoding: .utf8) else { throw Problem(path: path, writing: false, reason: "it is not UTF-8 text") }
        return text
    }

    /// Writes `data` to `path` atomically: into a temporary file beside it with permissions `mode`
    /// (`0o600`: only its owner may read it), then renamed over it.
    public static func save(_ data: Data, to path: String, mode: mode_t = 0o644) throws(Problem) {
        let file = try TemporaryFile(beside: path, mode: mode)
        file.append(data)
        try file.commit()
    }

    /// Writes a file made piece by piece, atomically like ``save(_:to:mode:)``: `produce` hands
    /// each piece to its `write` as it is made, so only a piece is held, never the whole file.
    /// The pieces go to a temporary file beside `path`, renamed over it when `produce` returns;
    /// if `produce` or a write throws, the temporary file is removed and `path` is untouched.
    public static func save(to path: String, mode: mode_t = 0o644,
                            _ produce: (_ write: (Data) throws(Problem) -> Void) async throws -> Void) async throws {
        let file = try TemporaryFile(beside: path, mode: mode)
        do {
            try await produce { (piece: Data) throws(Problem) in
                file.append(piece)
                if let problem = file.problem { throw problem }
            }
        } catch {
            file.abandon()
            throw error
        }
        try file.commit()
    }

    /// The temporary file beside `path` that an atomic save writes and then renames over it.
    private final class TemporaryFile {
        let path: String
        let temporary: String
        let mode: mode_t
        private var descriptor: Int32
        /// The errno that stopped the writing, if any.
        private var failure: Int32?

        init(beside path: String, mode: mode_t) throws(Problem) {
            self.path = path
            self.mode = mode
            let directory = (path as NSString).deletingLastPathComponent
            temporary = (directory.isEmpty ? "." : directory) + "/.\((path as NSString).lastPathComponent).\(getpid()).tmp"
            unlink(temporary)
            descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_EXCL, mode)
            guard descriptor >= 0 else {
                let code = errno
                var info = stat()
                if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
                    throw Problem(path: path, writing: true, reason: "it is a directory")
                }
                throw Problem(path: path, writing: true, reason: FileAccess.reason(code, path: path))
            }
        }

        /// What stopped the writing, if anything did.
        var problem: Problem? {
            failure.map { Problem(path: path, writing: true, reason: FileAccess.reason($0, path: path)) }
        }

        /// Appends `data` unless a write failed already (see ``problem``).
        func append(_ data: Data) {
            guard failure == nil else { return }
            data.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        failure = errno
                        return
                    }
                    offset += written
                }
            }
        }

        /// Closes and removes the temporary file; `path` stays as it was.
        func abandon() {
            if descriptor >= 0 { close(descriptor) }
            descriptor = -1
            unlink(temporary)
        }

        /// Sets exactly `mode`, syncs, and renames the file over `path`; on any failure removes
        /// it and throws why.
        func commit() throws(Problem) {
            // The umask may have taken permissions away, never added any: set exactly `mode`.
            if failure == nil, fchmod(descriptor, mode) != 0 { failure = errno }
            if failure == nil, fsync(descriptor) != 0 { failure = errno }
            close(descriptor)
            descriptor = -1
            if failure == nil, rename(temporary, path) != 0 { failure = errno }
            if let problem {
                unlink(temporary)
                throw problem
            }
        }
    }

    /// The system's reason in plain words, with the path's missing part named for ENOENT.
    static func reason(_ code: Int32, path: String) -> String {
        switch code {
        case ENOENT:
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) { return "no such directory '\(directory)'" }
            return "no such file"
        case EACCES, EPERM: return "permission denied"
        case EISDIR: return "it is a directory"
        case ENOTDIR: return "a part of the path is not a directory"
        case ENOSPC: return "no space left on the device"
        case EROFS: return "the file system is read-only"
        case EDQUOT: return "disk quota exceeded"
        default: return String(cString: strerror(code)).lowercased()
        }
    }
}
