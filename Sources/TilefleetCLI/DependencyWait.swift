import AMQP
import ArgumentParser
import Logging
import Postgres
import Timing
import UnixSignals

/// How the long-running roles (worker, recorder, coordinator) open RabbitMQ and PostgreSQL: while
/// one is down, log that the role waits (naming the dependency and the error, never the URL) and
/// try again with backoff until it is up, so a role started before its services, or restarted
/// while one is away, starts by itself. SIGTERM or SIGINT while waiting ends the command with
/// status 0. One-shot commands do not use it: they fail at once with the error.
struct DependencyWait {
    var backoff = Backoff(initial: .milliseconds(500), maximum: .seconds(30), jitter: .upTo(0.2))
    let logger: Logger

    /// A connection to the database at `url`, once PostgreSQL accepts one.
    func database(_ url: String) async throws -> PostgresConnection {
        try await open("PostgreSQL") { [logger] in try await PostgresConnection.connect(to: url, logger: logger) }
    }

    /// A connection to the broker at `url`, once RabbitMQ accepts one.
    func broker(_ url: String) async throws -> AMQPConnection {
        try await open("RabbitMQ") { [logger] in try await AMQPConnection.connect(url: url, logger: logger) }
    }

    /// Whether `error` means the dependency is not up (yet): worth waiting for. A malformed URL or
    /// anything else is not, and fails the command at once.
    static func isUnavailable(_ error: any Error) -> Bool {
        switch error {
        case let error as PostgresError:
            return error.kind == .connectionFailed || error.kind == .connectionLost
        case let error as AMQPError:
            switch error {
            case .connectFailed, .connectionUnavailable, .connectionLost: return true
            default: return false
            }
        default:
            return false
        }
    }

    /// Runs `attempt` until it succeeds or fails for a reason other than the dependency being down.
    func open<T: Sendable>(_ dependency: String, _ attempt: @escaping @Sendable () async throws -> T) async throws -> T {
        let firstError: any Error
        do {
            return try await attempt()
        } catch where Self.isUnavailable(error) {
            firstError = error
        }
        // Trapped before the first "waiting" line, so a SIGTERM sent after it is always seen here.
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let (outcomes, sink) = AsyncStream<Result<T, any Error>?>.makeStream()
        let retrying = Task { [backoff, logger] in
            var error = firstError
            var tries = 0
            while true {
                tries += 1
                let delay = backoff.delay(attempt: tries)
                logger.warning("waiting for \(dependency)", metadata: [
                    "dependency": "\(dependency)", "error": "\(error)", "attempt": "\(tries)", "retry_in": "\(delay)",
                ])
                do {
                    try await Task.sleep(for: delay)
                    let value = try await attempt()
                    logger.notice("\(dependency) is up", metadata: ["dependency": "\(dependency)", "attempts": "\(tries + 1)"])
                    sink.yield(.success(value))
                    return
                } catch let failure where Self.isUnavailable(failure) {
                    error = failure
                } catch {
                    sink.yield(.failure(error))
                    return
                }
            }
        }
        let watching = Task {
            for await _ in signals {
                sink.yield(nil)
                return
            }
        }
        var iterator = outcomes.makeAsyncIterator()
        let first = await iterator.next() ?? nil
        retrying.cancel()
        watching.cancel()
        switch first {
        case .success(let value)?:
            return value
        case .failure(let error)?:
            throw error
        case nil:
            logger.notice("stopped while waiting for \(dependency)", metadata: ["dependency": "\(dependency)"])
            throw ExitCode.success
        }
    }
}
