import AMQP
import FleetModel
import Foundation
import Messaging
import Testing
import TestSupport

/// With a work key, a worker acts only on items that carry a valid tag of it: publish rights on
/// the work exchange alone start no job. Keys rotate by rewriting the file, without a restart.
@Suite(.serialized) struct WorkerSigningTests {
    static func item(_ tile: String, task: String = "forged") -> WorkItem {
        WorkItem(kind: .submit, task: task, tile: tile, maxAttempts: 1, backend: "sim", job: FleetHarness.job)
    }

    static func tag(_ body: [UInt8], key: String, purpose: MessageKeyRing.Purpose = .work) throws -> AMQPTable {
        [MessageSigning.tagHeader: .string(try MessageKeyRing(parsing: key, source: "test").tag(body, purpose: purpose))]
    }

    @Test(.timeLimit(.minutes(3))) func forgedItemsAreDeadLetteredAndStartNoJob() async throws {
        let fleet = try await FleetHarness(simulator: WorkerFleetTests.simulator(duration: 0.5), signed: true)
        do {
            try fleet.spawnWorker()
            try await fleet.publishSubmits(20)
            let eventsKey = try String(contentsOfFile: fleet.directory + "/events.key", encoding: .utf8)
            let untagged = Self.item("untagged").encoded()
            try await fleet.publishRaw(String(decoding: untagged, as: UTF8.self))
            let foreign = Self.item("foreign").encoded()
            try await fleet.publishRaw(String(decoding: foreign, as: UTF8.self), headers: Self.tag(foreign, key: MessageKeyRing.newKey()))
            let eventsTagged = Self.item("events-key").encoded()
            try await fleet.publishRaw(String(decoding: eventsTagged, as: UTF8.self), headers: Self.tag(eventsTagged, key: eventsKey, purpose: .events))
            // A genuine tag, copied onto another item.
            let genuine = fleet.signing.tagged(AMQPProperties(), body: Self.item("genuine").encoded(), purpose: .work).headers
            try await fleet.publishRaw(String(decoding: Self.item("copied").encoded(), as: UTF8.self), headers: genuine)

            let terminal = try await fleet.waitForTerminal(20, task: "task-1", timeout: .seconds(90))
            #expect(terminal.count == 20)
            #expect(terminal.values.allSatisfy { $0.status == .finished })
            let dead = try await fleet.deadLetters(max: 4, timeout: .seconds(20))
            let reasons = dead.map(\.reason)
            #expect(dead.count == 4, "\(reasons)")
            #expect(reasons.contains { $0.hasPrefix("no authenticity tag") })
            // A foreign key and the events key are both unknown to the work key's ring.
            #expect(reasons.filter { $0.contains("made with an unknown key") }.count == 2)
            #expect(reasons.filter { $0.contains("does not match the message") }.count == 1)
            // Only the genuine items reached the platform; the worker's follow-ups (polls) and
            // events carried valid tags of their own.
            #expect(fleet.simulator.stats().jobsCreated == 20)
            #expect(fleet.terminal(of: "forged").isEmpty)
            #expect(fleet.badlyTaggedEvents == 0)
        } catch {
            await fleet.shutDown()
            throw error
        }
        await fleet.shutDown()
    }

    @Test(.timeLimit(.minutes(3))) func aWorkKeyRotatesWithoutARestart() async throws {
        let fleet = try await FleetHarness(simulator: WorkerFleetTests.simulator(duration: 0.2), signed: true)
        do {
            try fleet.spawnWorker()
            let old = try String(contentsOfFile: fleet.workKeyPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let new = MessageKeyRing.newKey()
            func publish(_ tile: String, key: String) async throws {
                let body = Self.item(tile, task: "rotation").encoded()
                try await fleet.publishRaw(String(decoding: body, as: UTF8.self), headers: Self.tag(body, key: key))
            }
            func rewrite(_ text: String) throws {
                let temporary = fleet.workKeyPath + ".new"
                FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
                #expect(rename(temporary, fleet.workKeyPath) == 0)
            }
            try await publish("before", key: old)
            #expect(try await fleet.waitForTerminal(1, task: "rotation", timeout: .seconds(60)).count == 1)
            // Step 1: the new key is accepted beside the old one; step 2: it signs.
            try rewrite("\(new)\n\(old)\n")
            try await publish("new-key", key: new)
            try await publish("old-key-still-accepted", key: old)
            #expect(try await fleet.waitForTerminal(3, task: "rotation", timeout: .seconds(60)).count == 3)
            // Step 3: the old key is retired; once the worker has looked at the file again
            // (at most a second later), an item tagged with it is refused.
            try rewrite(new)
            try await Task.sleep(for: .seconds(2))
            try await publish("old-key-retired", key: old)
            try await publish("after", key: new)
            #expect(try await fleet.waitForTerminal(4, task: "rotation", timeout: .seconds(60)).count == 4)
            let dead = try await fleet.deadLetters(max: 1, timeout: .seconds(20))
            #expect(dead.count == 1)
            #expect(dead.first?.body.contains("old-key-retired") == true)
            #expect(dead.first?.reason.contains("made with an unknown key") == true)
            #expect(fleet.terminal(of: "rotation")["rotation/old-key-retired"] == nil)
            #expect(fleet.simulator.stats().jobsCreated == 4)
        } catch {
            await fleet.shutDown()
            throw error
        }
        await fleet.shutDown()
    }
}
