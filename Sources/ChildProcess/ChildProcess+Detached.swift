import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension ChildProcess {
    /// Resource limits set in the child before its program starts (`setrlimit`, through the
    /// shell's `ulimit`, which the program inherits across `exec`).
    public struct Limits: Sendable, Hashable, Codable {
        /// `RLIMIT_CPU`: seconds of CPU time; the kernel ends the program with SIGXCPU beyond it.
        public var cpuSeconds: Int?
        /// `RLIMIT_AS`: bytes of address space; allocations beyond it fail.
        public var memoryBytes: Int?

        public init(cpuSeconds: Int? = nil, memoryBytes: Int? = nil) {
            self.cpuSeconds = cpuSeconds
            self.memoryBytes = memoryBytes
        }

        enum CodingKeys: String, CodingKey {
            case cpuSeconds = "cpu_seconds"
            case memoryBytes = "memory_bytes"
        }
    }

    /// How ``spawn(_:environment:outputPath:errorPath:workingDirectory:limits:ownProcessGroup:)`` starts a program.
    /// A program name without a slash is looked up in `PATH`.
    ///
    /// The child is `/bin/sh`, which changes into `workingDirectory`, sets `limits` and `exec`s the
    /// program, so the limits hold in the program itself and nothing of the parent (its threads,
    /// its own limits) is touched. A directory or limit that cannot be set ends the child with 126
    /// and a line saying why in its output.
    public static func spawn(_ arguments: [String], environment: [String: String] = [:], outputPath: String, errorPath: String?,
                             workingDirectory: String, limits: Limits, ownProcessGroup: Bool) throws(SpawnError) -> ChildProcess {
        var script = #"cd -- "$1" || { echo "tilefleet: cannot enter the working directory $1" >&2; exit 126; }; shift; "#
        if let seconds = limits.cpuSeconds {
            // SIGXCPU at the soft limit; SIGKILL five seconds later for a program that ignores it.
            script += #"ulimit -S -t \#(max(seconds, 1)) && ulimit -H -t \#(max(seconds, 1) + 5) || { echo "tilefleet: cannot set the CPU time limit" >&2; exit 126; }; "#
        }
        if let bytes = limits.memoryBytes {
            script += #"ulimit -v \#(max(bytes / 1024, 1)) || { echo "tilefleet: cannot set the memory limit" >&2; exit 126; }; "#
        }
        script += #"exec "$@""#
        let wrapped = ["/bin/sh", "-c", script, "tilefleet-child", workingDirectory] + arguments
        return try spawn(wrapped, environment: environment, outputPath: outputPath, errorPath: errorPath, truncate: true,
                         fileMode: 0o644, ownProcessGroup: ownProcessGroup)
    }

    /// Sends `signal` to the child's process group (the child and what it started), without reaping.
    public func signalGroup(_ signal: Int32 = SIGKILL) {
        kill(-pid, signal)
    }

    /// Whether a process with this id exists (it may be a zombie or, after a reboot, another process).
    public static func exists(pid: pid_t) -> Bool {
        pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
    }

    /// Reaps the child on a thread of its own: for a child the caller never waits for (a detached
    /// job supervisor), so it leaves no zombie behind while the caller lives.
    public func reapInBackground() {
        Thread { _ = self.wait() }.start()
    }
}
