import FleetModel
import Storage

/// The jobs workers saw end that the database may not show yet: their `finished` events, which
/// the coordinator reads off the events exchange beside the recorder. Each frees its slot for the
/// dispatch passes while the database still counts its tile in flight, so a slot turns over
/// without waiting for the recorder's batch, commit and `NOTIFY` (or for a recorder that is
/// behind or down).
///
/// `max_active` stays exact: a job a worker saw finish holds nothing on the platform any more,
/// and a pass counts a noted attempt as free only while the database shows that very attempt in
/// flight on that backend (``DispatchStore/Transaction/startPass(backend:pendingUpTo:ended:)``), once however many
/// passes see it. Only `finished` frees a slot: a failed attempt with attempts left is followed
/// by the worker's own submit of the next one, in the same slot. A note is forgotten once the
/// database no longer shows its attempt in flight (stored, or the tile moved on), and after
/// ``keep`` in any case (the recorder refused the event: the slot is then counted as the database
/// has it, which errs on the safe side).
///
/// A pure value: the dispatcher keeps one and asks it which attempts to check.
public struct EndedJobs: Sendable {
    public typealias Attempt = DispatchStore.EndedAttempt

    /// How many notes are kept at most; past it the oldest go (their slots then free with the recorder).
    public let capacity: Int
    /// How long a note is kept while the database still shows its attempt in flight.
    public let keep: Duration
    private var noted: [Attempt: ContinuousClock.Instant] = [:]

    public init(capacity: Int = 100_000, keep: Duration = .seconds(120)) {
        self.capacity = max(capacity, 1)
        self.keep = keep
    }

    /// How many attempts are noted.
    public var count: Int { noted.count }

    /// Notes `event` when it says its job finished on a named backend; true when it was not noted
    /// already (a pass may now free its slot).
    public mutating func note(_ event: StatusEvent, at now: ContinuousClock.Instant) -> Bool {
        guard event.status == .finished, let backend = event.backend, !backend.isEmpty else { return false }
        let attempt = Attempt(task: event.task, tile: event.tile, attempt: event.attempt, backend: backend)
        guard noted[attempt] == nil else { return false }
        if noted.count >= capacity, let oldest = noted.min(by: { $0.value < $1.value })?.key {
            noted[oldest] = nil
        }
        noted[attempt] = now
        return true
    }

    /// The noted attempts on `backend`, or on every backend when nil, in a stable order.
    public func attempts(on backend: String?) -> [Attempt] {
        noted.keys.filter { backend == nil || $0.backend == backend }
            .sorted { ($0.backend, $0.task, $0.tile, $0.attempt) < ($1.backend, $1.task, $1.tile, $1.attempt) }
    }

    /// After a pass checked `checked` against the database: those not in `stillInFlight` are
    /// stored already (or their tile moved on) and are forgotten.
    public mutating func settle(checked: [Attempt], stillInFlight: [Attempt]) {
        let kept = Set(stillInFlight)
        for attempt in checked where !kept.contains(attempt) { noted[attempt] = nil }
    }

    /// Forgets the notes older than ``keep``.
    public mutating func expire(now: ContinuousClock.Instant) {
        noted = noted.filter { now - $0.value < keep }
    }
}
