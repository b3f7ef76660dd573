import Foundation

/// The processes deployed on the simulated OGC API – Processes server (Part 2), behind one lock:
/// each with the package it was deployed or replaced with, and the answers given, for tests.
public final class DeployedProcesses: @unchecked Sendable {
    /// One deployed process: its package as sent.
    public struct Process: Sendable, Hashable {
        public var id: String
        public var contentType: String
        public var package: Data
        /// The `processDescription` of an OGC application package, if it has one.
        public var description: [String: String]
    }

    private let lock = NSLock()
    private var processes: [String: Process] = [:]
    private var answered: [String] = []

    /// The deployed process `id`.
    public func process(_ id: String) -> Process? {
        lock.withLock { processes[id] }
    }

    /// The ids of the deployed processes, sorted.
    public var ids: [String] {
        lock.withLock { processes.keys.sorted() }
    }

    /// Every Part 2 answer so far, as `METHOD id status` (`POST snuggs 201`).
    public var answers: [String] {
        lock.withLock { answered }
    }

    func record(_ method: String, _ id: String, _ status: Int) {
        lock.withLock { answered.append("\(method) \(id) \(status)") }
    }

    /// Adds `process` unless one with its id exists; whether it was added.
    func add(_ process: Process) -> Bool {
        lock.withLock {
            guard processes[process.id] == nil else { return false }
            processes[process.id] = process
            return true
        }
    }

    /// Replaces the package of a deployed process; false when none has the id.
    func replace(_ process: Process) -> Bool {
        lock.withLock {
            guard processes[process.id] != nil else { return false }
            processes[process.id] = process
            return true
        }
    }

    /// Removes a deployed process; false when none has the id.
    func remove(_ id: String) -> Bool {
        lock.withLock { processes.removeValue(forKey: id) != nil }
    }
}
