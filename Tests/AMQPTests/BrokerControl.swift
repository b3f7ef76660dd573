import Foundation
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Runs `services.sh <action> <service>` for the restart test.
///
/// Same as `TestEnvironment.services`, but spawned with `posix_spawn` and reaped with `waitpid` on a
/// dedicated thread: Foundation's `Process` learns that a child exited when a socket it shares with
/// the child closes, and the daemons `restart` leaves behind inherit that socket, so
/// `TestEnvironment.services("restart", …)` never returns on Linux.
enum BrokerControl {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func services(_ action: String, _ service: String) async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-services-\(UUID().uuidString).log").path
        let script = TestEnvironment.servicesScript
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                var actions = posix_spawn_file_actions_t()
                posix_spawn_file_actions_init(&actions)
                defer { posix_spawn_file_actions_destroy(&actions) }
                posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
                posix_spawn_file_actions_adddup2(&actions, 1, 2)
                let arguments = ["/bin/bash", script, action, service]
                var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
                defer { for pointer in argv { free(pointer) } }
                var pid: pid_t = 0
                let spawned = posix_spawn(&pid, "/bin/bash", &actions, nil, &argv, environ)
                guard spawned == 0 else {
                    continuation.resume(throwing: Failure(description: "posix_spawn failed: \(spawned)"))
                    return
                }
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                continuation.resume(returning: status)
            }
            thread.start()
        }
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: log)
        guard status == 0 else {
            throw Failure(description: "services.sh \(action) \(service) failed (status \(status)):\n\(output)")
        }
    }
}
