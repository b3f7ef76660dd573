import Foundation
import Postgres
#if canImport(Glibc)
import Glibc
#endif

/// Runs a task's `post_job` command once for each finished tile attempt, with the tile's assets in
/// its environment: `TILEFLEET_TASK`, `TILEFLEET_TILE`, `TILEFLEET_ATTEMPT`, `TILEFLEET_ASSETS`
/// (a JSON array of `{href, type, roles, title, size}`). A run is claimed by inserting its
/// `post_jobs` row, so several coordinators never run it twice; the exit code and the tail of the
/// output are recorded there, so a failure is never lost.
public struct PostJobRunner: Sendable {
    public let connection: PostgresConnection
    /// Seconds after which a command is killed and recorded as failed.
    public var timeoutSeconds: Int
    public var runner: String

    public init(connection: PostgresConnection, timeoutSeconds: Int = 3600,
                runner: String = ProcessInfo.processInfo.hostName + ":" + String(ProcessInfo.processInfo.processIdentifier)) {
        self.connection = connection
        self.timeoutSeconds = timeoutSeconds
        self.runner = runner
    }

    /// One finished run.
    public struct Run: Sendable, Hashable {
        public var task: String
        public var tile: String
        public var attempt: Int
        public var exitCode: Int32
        public var output: String
    }

    /// Claims up to `limit` finished tiles whose post-job has not run, runs them one after another,
    /// and records each outcome.
    public func runPending(limit: Int = 8) async throws -> [Run] {
        let claimed = try await connection.query("""
            INSERT INTO post_jobs (task_id, tile_id, attempt, command, status, runner)
            SELECT t.task_id, t.tile_id, t.attempt, k.spec->>'postJob', 'running', \(runner)
            FROM tiles t JOIN tasks k ON k.id = t.task_id
            WHERE t.status = 'finished' AND k.spec->>'postJob' IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM post_jobs p WHERE p.task_id = t.task_id AND p.tile_id = t.tile_id AND p.attempt = t.attempt)
            ORDER BY t.finished_at NULLS LAST, t.task_id, t.tile_id
            LIMIT \(limit)
            ON CONFLICT DO NOTHING
            RETURNING task_id, tile_id, attempt, command,
                      (SELECT coalesce(jsonb_agg(jsonb_build_object('href', a.href, 'type', a.type, 'roles', to_jsonb(a.roles),
                                                                    'title', a.title, 'size', a.size) ORDER BY a.href), '[]')::text
                       FROM assets a WHERE a.task_id = post_jobs.task_id AND a.tile_id = post_jobs.tile_id AND a.attempt = post_jobs.attempt)
            """)
        var runs: [Run] = []
        for row in claimed {
            let task = try row.decode(String.self, at: 0), tile = try row.decode(String.self, at: 1)
            let attempt = try row.decode(Int.self, at: 2), command = try row.decode(String.self, at: 3)
            let assets = try row.decode(String.self, at: 4)
            let environment = ["TILEFLEET_TASK": task, "TILEFLEET_TILE": tile, "TILEFLEET_ATTEMPT": String(attempt), "TILEFLEET_ASSETS": assets]
            let (status, output) = await Self.run(command: command, environment: environment, timeoutSeconds: timeoutSeconds)
            try await connection.execute("""
                UPDATE post_jobs SET status = \(status == 0 ? "succeeded" : "failed"), exit_code = \(Int(status)),
                                     output = \(output), finished_at = now()
                WHERE task_id = \(task) AND tile_id = \(tile) AND attempt = \(attempt)
                """)
            runs.append(Run(task: task, tile: tile, attempt: attempt, exitCode: status, output: output))
        }
        return runs
    }

    /// `/bin/sh -c command` on a dedicated thread (posix_spawn + waitpid; output to a file, its
    /// last 4,000 characters kept). Returns the exit status (128 + signal when killed).
    static func run(command: String, environment: [String: String], timeoutSeconds: Int) async -> (Int32, String) {
        await withCheckedContinuation { continuation in
            Thread {
                continuation.resume(returning: spawnAndWait(command: command, environment: environment, timeoutSeconds: timeoutSeconds))
            }.start()
        }
    }

    private static func spawnAndWait(command: String, environment: [String: String], timeoutSeconds: Int) -> (Int32, String) {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("tilefleet-post-job-\(UUID().uuidString).log").path
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
        let arguments: [String] = ["/bin/sh", "-c", command]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/bin/sh", &actions, nil, argv, envp) == 0 else { return (127, "cannot start /bin/sh") }
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(Double(timeoutSeconds))
        var timedOut = false
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { break }
            if result == -1 && errno != EINTR { break }
            if Date() > deadline && !timedOut {
                kill(pid, SIGKILL)
                timedOut = true
            }
            usleep(20_000)
        }
        var output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        if output.count > 4000 { output = "…" + output.suffix(4000) }
        if timedOut { output += "\n[tilefleet: killed after \(timeoutSeconds) s]" }
        let code: Int32 = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (code, output)
    }
}
