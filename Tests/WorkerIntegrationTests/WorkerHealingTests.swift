import AMQP
import FleetModel
import Foundation
import Messaging
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `tilefleet worker` processes that lose their queue or start before their broker: they keep
/// running and heal by themselves, and exit 0 only when asked to stop.
@Suite(.serialized) struct WorkerHealingTests {
    @Test(.timeLimit(.minutes(4))) func aWorkerWhoseQueueIsDeletedDeclaresItAgainAndHandlesLaterItems() async throws {
        let fleet = try await FleetHarness(simulator: WorkerFleetTests.simulator(duration: 2))
        do {
            let worker = try fleet.spawnWorker()
            try await fleet.publishSubmits(100)
            #expect(try await eventually { fleet.simulator.stats().jobsCreated >= 20 })
            // Deleted from a second connection, as an operator or a broker losing its queues would.
            let other = try await AMQPConnection.connect(url: fleet.amqpURL)
            _ = try await other.openChannel().deleteQueue(fleet.topology.workQueue(backend: "sim"))
            await other.close()
            #expect(try await eventually { fleet.workerLog(0).contains("consumer restored") },
                    "log: \(fleet.workerLog(0).suffix(3000))")
            #expect(fleet.workerLog(0).contains("consumer cancelled by the broker"))
            try await fleet.publishSubmits(50, task: "after")
            let terminal = try await fleet.waitForTerminal(50, task: "after", timeout: .seconds(120))
            #expect(terminal.count == 50, "log: \(fleet.workerLog(0).suffix(3000))")
            #expect(terminal.values.allSatisfy { $0.status == .finished })
            #expect(fleet.isRunning(worker), "the worker outlived its queue; log: \(fleet.workerLog(0).suffix(3000))")
        } catch {
            await fleet.shutDown()
            throw error
        }
        await fleet.shutDown()
    }

    @Test(.timeLimit(.minutes(5))) func aWorkerStartedBeforeItsBrokerWaitsAndThenHandlesItems() async throws {
        let broker = TestEnvironment.PrivateService("rabbitmq", port: 5692)
        try await broker.start()
        defer { try? broker.stop() }
        // The harness declares the fleet's topology first; then the broker goes away.
        let fleet = try await FleetHarness(simulator: WorkerFleetTests.simulator(duration: 0.5), amqpURL: broker.amqpURL)
        do {
            try await TestEnvironment.stopService(broker)
            let worker = try fleet.spawnWorker()
            #expect(try await eventually { fleet.workerLog(0).contains("waiting for RabbitMQ") },
                    "log: \(fleet.workerLog(0).suffix(3000))")
            #expect(!fleet.workerLog(0).contains("guest:guest"), "the password is never logged")
            #expect(fleet.isRunning(worker))
            try await broker.start()
            #expect(try await eventually(timeout: .seconds(90)) { fleet.workerLog(0).contains("worker consuming") },
                    "log: \(fleet.workerLog(0).suffix(3000))")
            #expect(try await eventually(timeout: .seconds(90)) { fleet.amqp.isConnected })
            try await fleet.publishSubmits(50)
            let terminal = try await fleet.waitForTerminal(50, timeout: .seconds(90))
            #expect(terminal.count == 50, "log: \(fleet.workerLog(0).suffix(3000))")
            #expect(terminal.values.allSatisfy { $0.status == .finished })
        } catch {
            await fleet.shutDown()
            throw error
        }
        await fleet.shutDown()
    }

    @Test(.timeLimit(.minutes(2))) func sigtermWhileWaitingForTheBrokerExitsZero() async throws {
        let scratch = try ScratchFleet("worker-wait", fleetYAML: """
            backends:
              - name: sim
                kind: openeo
                url: http://127.0.0.1:9/openeo
                max_active: 10
            """)
        defer { scratch.remove() }
        // Nothing listens on this port: the broker is down for as long as the test runs.
        let worker = try TestEnvironment.spawn([
            TestEnvironment.tilefleetBinary, "worker", "--config", scratch.configPath,
            "--amqp-url", "amqp://guest:not-this-one@127.0.0.1:5694/%2F", "--no-metrics",
        ], logPath: scratch.logPath("worker.log"))
        let output = { scratch.contents(ofLog: "worker.log") }
        let waiting = try await eventually { output().contains("waiting for RabbitMQ") }
        #expect(waiting, "log: \(output())")
        #expect(TestEnvironment.exitStatusIfEnded(worker) == nil, "still running while it waits")
        let status = TestEnvironment.stop(worker, signal: SIGTERM)
        #expect(status == 0, "exit status \(status); log: \(output())")
        #expect(!output().contains("not-this-one"), "the password is never logged")
    }
}
