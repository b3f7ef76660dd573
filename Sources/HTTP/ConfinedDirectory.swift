import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A directory that files are written into without ever leaving it, whatever names they are given.
///
/// Paths below it are lists of components, each checked (``isSafeComponent(_:)``: no separator, no
/// `.` or `..`, no control character) before anything touches the disk. Directories are walked one
/// component at a time with `openat(O_NOFOLLOW)`, so a symbolic link planted inside the directory
/// (`tile -> /home/user`) is refused rather than followed; files are created with `O_EXCL | O_NOFOLLOW`
/// under a temporary name and renamed into place, which replaces (never follows) a link at the final name.
public struct ConfinedDirectory: Sendable {
    /// The directory itself (the one place a symbolic link is followed: the caller chose it).
    public let path: String

    /// Creates the directory (and its parents) if missing.
    public init(path: String) throws(HTTPClientError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw Self.error("cannot create \(path): \(error.localizedDescription)")
        }
        self.path = path
    }

    /// Whether `component` can name one entry of a directory and nothing else: not empty, not `.` or
    /// `..`, no `/` or `\`, no control character, at most 255 bytes.
    public static func isSafeComponent(_ component: String) -> Bool {
        !component.isEmpty && component != "." && component != ".." && component.utf8.count <= 255
            && !component.unicodeScalars.contains { $0 == "/" || $0 == "\\" || $0.properties.generalCategory == .control }
    }

    /// The size of the regular file at `components`, or `nil` when there is none (a link, a
    /// directory or nothing). Never follows a link.
    public func existingFileSize(_ components: [String]) -> Int64? {
        guard let opened = try? self.openParent(of: components, create: false) else { return nil }
        let (directory, name) = opened
        defer { close(directory) }
        var info = stat()
        guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_size)
    }

    /// Writes `data` to `components` (creating directories), atomically: the file appears complete or not at all.
    public func write(_ data: Data, to components: [String]) throws(HTTPClientError) {
        let file = try self.create(components)
        let written = data.withUnsafeBytes { bytes -> Bool in
            var offset = 0
            while offset < bytes.count {
                let count = systemWrite(file.descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += count
            }
            return true
        }
        guard written else {
            let reason = String(cString: strerror(errno))
            file.abandon()
            throw Self.error("cannot write \(file.displayPath): \(reason)")
        }
        try file.commit()
    }

    /// A new temporary file in the directory of `components`, to be committed under its final name.
    func create(_ components: [String]) throws(HTTPClientError) -> PendingFile {
        let (directory, name) = try self.openParent(of: components, create: true)
        let temporary = ".\(name.prefix(200)).\(UUID().uuidString).part"
        let descriptor = openat(directory, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            close(directory)
            throw Self.error("cannot create a file in \(self.display(components.dropLast())): \(reason)")
        }
        return PendingFile(directory: directory, descriptor: descriptor, temporaryName: temporary, name: name,
                           displayPath: self.display(components[...]))
    }

    /// Opens the directory holding `components`' last element, walking (and, with `create`, making)
    /// each directory below ``path`` without following links. Returns its descriptor and the file name.
    private func openParent(of components: [String], create: Bool) throws(HTTPClientError) -> (Int32, String) {
        guard let name = components.last else { throw Self.error("no file name given below \(self.path)") }
        if let bad = components.first(where: { !Self.isSafeComponent($0) }) {
            throw Self.error("refusing the path component \(bad.debugDescription) below \(self.path)")
        }
        var directory = open(self.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw Self.error("cannot open \(self.path): \(String(cString: strerror(errno)))") }
        for (index, component) in components.dropLast().enumerated() {
            if create, mkdirat(directory, component, 0o755) != 0, errno != EEXIST {
                let reason = String(cString: strerror(errno))
                close(directory)
                throw Self.error("cannot create \(self.display(components[...index])): \(reason)")
            }
            let next = openat(directory, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let failure = errno
            close(directory)
            guard next >= 0 else {
                let reason = failure == ELOOP || failure == ENOTDIR
                    ? "it is a symbolic link or not a directory" : String(cString: strerror(failure))
                throw Self.error("refusing \(self.display(components[...index])): \(reason)")
            }
            directory = next
        }
        return (directory, name)
    }

    private func display(_ components: ArraySlice<String>) -> String {
        ([self.path] + components).joined(separator: "/")
    }

    static func error(_ message: String) -> HTTPClientError {
        HTTPClientError(code: .fileSystem, message: message, requestWasNotSent: true)
    }

    /// A file being written under a temporary name; ``commit()`` renames it into place, ``abandon()`` removes it.
    final class PendingFile: @unchecked Sendable {
        let directory: Int32
        let descriptor: Int32
        let temporaryName: String
        let name: String
        let displayPath: String
        private var open = true

        init(directory: Int32, descriptor: Int32, temporaryName: String, name: String, displayPath: String) {
            self.directory = directory
            self.descriptor = descriptor
            self.temporaryName = temporaryName
            self.name = name
            self.displayPath = displayPath
        }

        deinit { self.abandon() }

        /// Flushes, closes and renames the file to its final name (replacing a link there, never following it).
        func commit() throws(HTTPClientError) {
            guard self.open else { return }
            self.open = false
            let synced = fsync(self.descriptor) == 0
            let closed = close(self.descriptor) == 0
            defer { close(self.directory) }
            guard synced, closed, renameat(self.directory, self.temporaryName, self.directory, self.name) == 0 else {
                let reason = String(cString: strerror(errno))
                unlinkat(self.directory, self.temporaryName, 0)
                throw ConfinedDirectory.error("cannot store \(self.displayPath): \(reason)")
            }
        }

        /// Closes and removes the temporary file.
        func abandon() {
            guard self.open else { return }
            self.open = false
            close(self.descriptor)
            unlinkat(self.directory, self.temporaryName, 0)
            close(self.directory)
        }
    }
}

/// `write(2)`, named apart from ``ConfinedDirectory/write(_:to:)``.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}
