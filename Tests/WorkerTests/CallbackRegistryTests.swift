import FleetModel
import Foundation
import Messaging
import Testing
import Worker

/// Callback tokens: unguessable, one wake each, a callback before the poll item is kept for it,
/// an unknown token does nothing.
@Suite struct CallbackRegistryTests {
    static let poll = WorkItem(kind: .poll, task: "t", tile: "a", backend: "ogc", job: BackendJob(process: .named(id: "p", namespace: nil)),
                               backendJobID: "j-1", pollCount: 2, notBefore: Date(timeIntervalSince1970: 1_800_000_000))

    /// The first item the registry publishes (each test waits for one; a wrong one fails its expectations).
    static func next(_ registry: CallbackRegistry) async -> WorkItem? {
        var iterator = registry.wakes.makeAsyncIterator()
        return await iterator.next()
    }

    @Test func aTokenIsLongRandomAndNamesOnlySuccess() {
        let registry = CallbackRegistry(baseURL: "http://worker-1:9480/")
        let (token, subscriber) = registry.register()
        let (other, _) = registry.register()
        #expect(token.count == 32 && token.allSatisfy(\.isHexDigit))
        #expect(token != other)
        #expect(subscriber.successUri == "http://worker-1:9480/callbacks/\(token)")
        #expect(subscriber.failedUri == nil && subscriber.inProgressUri == nil)
    }

    @Test func aCallbackWakesItsJobOnce() async {
        let registry = CallbackRegistry(baseURL: "http://w:1")
        let (token, _) = registry.register()
        registry.attach(token, poll: Self.poll)
        #expect(registry.wake(token))
        let woken = await Self.next(registry)
        #expect(woken?.wake == true)
        #expect(woken?.backendJobID == "j-1" && woken?.pollCount == 2 && woken?.notBefore == nil)
        #expect(!registry.wake(token), "a spent token")
        #expect(registry.count == 0)
    }

    @Test func aCallbackBeforeThePollItemWakesItWhenItComes() async {
        let registry = CallbackRegistry(baseURL: "http://w:1")
        let (token, _) = registry.register()
        #expect(registry.wake(token))
        registry.attach(token, poll: Self.poll)
        #expect(await Self.next(registry)?.wake == true)
        #expect(registry.count == 0)
    }

    @Test func unknownAndForgottenTokensChangeNothing() async {
        let registry = CallbackRegistry(baseURL: "http://w:1")
        let (forgotten, _) = registry.register()
        registry.forget(forgotten)
        #expect(!registry.wake(forgotten))
        #expect(!registry.wake("0123456789abcdef0123456789abcdef"))
        registry.attach(forgotten, poll: Self.poll)
        // Only a real callback publishes: the first item out is the one it asked for.
        let (token, _) = registry.register()
        var other = Self.poll
        other.backendJobID = "j-2"
        registry.attach(token, poll: other)
        #expect(registry.wake(token))
        #expect(await Self.next(registry)?.backendJobID == "j-2")
    }

    @Test func beyondItsCapacityTheOldestTokenGoes() {
        let registry = CallbackRegistry(baseURL: "http://w:1", capacity: 2)
        let (first, _) = registry.register(now: Date(timeIntervalSince1970: 1))
        _ = registry.register(now: Date(timeIntervalSince1970: 2))
        _ = registry.register(now: Date(timeIntervalSince1970: 3))
        #expect(registry.count == 2)
        #expect(!registry.wake(first))
    }
}
