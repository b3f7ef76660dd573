/// The statuses of the APEx Dispatch API, which its clients colour tiles and stop on: tilefleet's
/// tile and task states seen through them.
public enum APExStatus: String, Sendable, Hashable, CaseIterable {
    case created, queued, running, finished, canceled, failed

    /// A tile's status: `pending` is `created`; `queued` and `submitted` (the platform has the job
    /// but has not started it) are `queued`; the rest keep their names.
    public init(tileStatus: String) {
        switch tileStatus {
        case "queued", "submitted": self = .queued
        case "running": self = .running
        case "finished": self = .finished
        case "failed": self = .failed
        case "canceled": self = .canceled
        default: self = .created
        }
    }

    /// A task's status from its tiles' counts per tilefleet status and whether it was canceled.
    /// Once every tile has ended: `canceled` for a canceled task, else `failed` if any tile failed,
    /// else `finished` if any finished, else `canceled`. Before that: `running` once a tile runs
    /// or has ended, `queued` while tiles wait on the platform, `created` while none was dispatched.
    public static func task(counts: [String: Int], canceled: Bool) -> APExStatus {
        func count(_ status: String) -> Int { counts[status] ?? 0 }
        let total = counts.values.reduce(0, +)
        let ended = count("finished") + count("failed") + count("canceled")
        if total > 0, ended == total {
            if canceled { return .canceled }
            if count("failed") > 0 { return .failed }
            return count("finished") > 0 ? .finished : .canceled
        }
        if count("running") > 0 || ended > 0 { return .running }
        if count("queued") + count("submitted") > 0 { return .queued }
        return .created
    }

    /// Whether a client following the task stops here.
    public var isFinal: Bool { self == .finished || self == .canceled || self == .failed }
}
