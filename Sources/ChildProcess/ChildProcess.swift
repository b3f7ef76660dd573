import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, its standard input `/dev/null` and its output and
/// errors written to one file: the one subprocess runner of the project (post-job commands, the
/// benchmarks' worker processes, the tests' services and fleets).
///
/// Foundation's `Process` is not used: it learns that a child exited when a socket it shares with
/// the child closes, and daemons started by the child inherit that socket, so it never returns.
/// Waiting blocks the calling thread; callers on the cooperative pool use ``runOnThread(_:environment:outputPath:timeout:)``.
public struct ChildProcess: Sendable, Hashable {
    public let pid: pid_t

    public init(pid: pid_t) {
        self.pid = pid
    }

    /// A failed `posix_spawn`, naming the program.
    public struct SpawnError: Error, Sendable, CustomStringConvertible {
        public var program: String
        public var code: Int32
        public var description: String { "cannot start \(program): posix_spawn error \(code) (\(String(cString: strerror(code))))" }
    }

    /// Starts `arguments[0]` (a path) with `arguments`, the current environment overlaid with
    /// `environment`, output appended to (or, with `truncate`, written over) `outputPath`.
    /// With `errorPath`, errors go to that file instead; with `ownProcessGroup`, the child leads a
    /// process group of its own (``signalGroup(_:)`` reaches it and what it starts; a terminal's
    /// Ctrl-C to the parent does not).
    public static func spawn(_ arguments: [String], environment: [String: String] = [:], outputPath: String, errorPath: String? = nil,
                             truncate: Bool = false, fileMode: mode_t = 0o644, ownProcessGroup: Bool = false) throws(SpawnError) -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child starts with no signal blocked and every signal at its default, whatever the
        // spawning thread blocks or ignores (blocked and ignored signals survive exec): a CPU limit's
        // SIGXCPU, a SIGTERM must reach the program.
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        if ownProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        let mode = O_WRONLY | O_CREAT | (truncate ? O_TRUNC : O_APPEND)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, mode, fileMode)
        if let errorPath {
            posix_spawn_file_actions_addopen(&actions, 2, errorPath, mode, fileMode)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
        guard spawned == 0 else { throw SpawnError(program: arguments[0], code: spawned) }
        return ChildProcess(pid: pid)
    }

    /// Waits for the child to end; its exit status (128 + signal when a signal ended it).
    public func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return Self.exitStatus(waitStatus: status)
    }

    /// The exit status if the child has ended (reaping it), nil while it runs.
    public func exitStatusIfEnded() -> Int32? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid { return Self.exitStatus(waitStatus: status) }
        if result == -1 && errno != EINTR { return 127 }
        return nil
    }

    /// Sends `signal` and reaps the child; its exit status.
    @discardableResult
    public func stop(signal: Int32 = SIGKILL) -> Int32 {
        kill(pid, signal)
        return wait()
    }

    /// Decodes a `waitpid` status: the exit code, or 128 + the signal that ended the process.
    public static func exitStatus(waitStatus status: Int32) -> Int32 {
        status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// Runs a command to completion and returns its exit status and output (the last
    /// `keepCharacters` of it). After `timeout` the child is killed and the output says so.
    public static func run(_ arguments: [String], environment: [String: String] = [:], timeout: Duration? = nil,
                           keepCharacters: Int = .max) -> (status: Int32, output: String) {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-child-\(UUID().uuidString).log").path
        defer { unlink(outputPath) }
        let child: ChildProcess
        do {
            child = try spawn(arguments, environment: environment, outputPath: outputPath, truncate: true, fileMode: 0o600)
        } catch {
            return (127, error.description)
        }
        var timedOut = false
        let status: Int32
        if let timeout {
            let deadline = ContinuousClock.now + timeout
            while true {
                if let ended = child.exitStatusIfEnded() {
                    status = ended
                    break
                }
                if ContinuousClock.now > deadline && !timedOut {
                    kill(child.pid, SIGKILL)
                    timedOut = true
                }
                usleep(20_000)
            }
        } else {
            status = child.wait()
        }
        var output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        if output.count > keepCharacters { output = "…" + output.suffix(keepCharacters) }
        if timedOut, let timeout { output += "\n[tilefleet: killed after \(timeout.components.seconds) s]" }
        return (status, output)
    }

    /// ``run(_:environment:timeout:keepCharacters:)`` on a dedicated thread, so a long command
    /// does not hold one of the cooperative pool's threads.
    public static func runOnThread(_ arguments: [String], environment: [String: String] = [:], timeout: Duration? = nil,
                                   keepCharacters: Int = .max) async -> (status: Int32, output: String) {
        await withCheckedContinuation { continuation in
            Thread {
                continuation.resume(returning: run(arguments, environment: environment, timeout: timeout, keepCharacters: keepCharacters))
            }.start()
        }
    }
}
