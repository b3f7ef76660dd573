import Coordinator
import Testing

struct BackendSlotAssignerTests {
    typealias Demand = BackendSlotAssigner.TaskDemand
    typealias Option = BackendSlotAssigner.Option

    @Test func byPreferenceTheFirstBackendFillsBeforeTheNext() {
        let offers = BackendSlotAssigner().assign(freeSlots: ["cdse": 3, "terrascope": 10], tasks: [
            Demand(task: "t", pending: 5, backends: [Option("cdse"), Option("terrascope")]),
        ])
        #expect(offers == ["cdse": ["t": 3], "terrascope": ["t": 2]])
    }

    @Test func anUnavailableBackendIsOfferedNothingAndItsShareGoesToTheOthers() {
        let offers = BackendSlotAssigner().assign(freeSlots: ["cdse": 3, "terrascope": 10], unavailable: ["cdse"], tasks: [
            Demand(task: "t", pending: 5, backends: [Option("cdse"), Option("terrascope")]),
        ])
        #expect(offers == ["terrascope": ["t": 5]])
    }

    @Test func weightsSplitTheTilesByShareCountingWhatEachBackendAlreadyRuns() {
        let fresh = BackendSlotAssigner().assign(freeSlots: ["a": 100, "b": 100], tasks: [
            Demand(task: "t", pending: 9, backends: [Option("a", weight: 2), Option("b", weight: 1)]),
        ])
        #expect(fresh == ["a": ["t": 6], "b": ["t": 3]])
        let busy = BackendSlotAssigner().assign(freeSlots: ["a": 100, "b": 100], tasks: [
            Demand(task: "t", pending: 3, backends: [Option("a", weight: 1), Option("b", weight: 1)], active: ["a": 3]),
        ])
        #expect(busy == ["b": ["t": 3]])
    }

    @Test func tasksOfEqualPriorityTakeTurnsAndHigherPriorityGoesFirst() {
        let offers = BackendSlotAssigner().assign(freeSlots: ["a": 4, "b": 2], tasks: [
            Demand(task: "x", pending: 10, backends: [Option("a"), Option("b")]),
            Demand(task: "y", pending: 10, backends: [Option("a")]),
            Demand(task: "urgent", priority: 5, pending: 1, backends: [Option("b")]),
        ])
        #expect(offers == ["a": ["x": 2, "y": 2], "b": ["urgent": 1, "x": 1]])
    }

    @Test func offersNeverExceedFreeSlotsNorPending() {
        for free in 0...8 {
            let tasks = [
                Demand(task: "m", pending: 5, backends: [Option("a", weight: 3), Option("b", weight: 1)]),
                Demand(task: "s", pending: 4, backends: [Option("b")]),
            ]
            let slots = ["a": free, "b": free / 2, "c": -2]
            let offers = BackendSlotAssigner().assign(freeSlots: slots, tasks: tasks)
            for (backend, byTask) in offers { #expect(byTask.values.reduce(0, +) <= max(slots[backend] ?? 0, 0)) }
            for task in tasks { #expect(offers.values.reduce(0) { $0 + ($1[task.task] ?? 0) } <= task.pending) }
            #expect(offers["c"] == nil)
        }
        #expect(BackendSlotAssigner().assign(freeSlots: ["x": 5], tasks: [Demand(task: "t", pending: 3, backends: [Option("y")])]).isEmpty)
    }
}
