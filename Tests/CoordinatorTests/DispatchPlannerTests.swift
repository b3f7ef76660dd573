import Coordinator
import Testing

struct DispatchPlannerTests {
    typealias Load = DispatchPlanner.TaskLoad

    @Test func freeSlotsAreSharedEvenlyAmongTasksOfEqualPriority() {
        let plan = DispatchPlanner().plan(freeSlots: 9, tasks: [
            Load(task: "a", pending: 100), Load(task: "b", pending: 100), Load(task: "c", pending: 100),
        ])
        #expect(plan == ["a": 3, "b": 3, "c": 3])
    }

    @Test func aTaskAlreadyHoldingSlotsWaitsForTheOthersToCatchUp() {
        let plan = DispatchPlanner().plan(freeSlots: 4, tasks: [
            Load(task: "a", pending: 100, active: 4), Load(task: "b", pending: 100, active: 0),
        ])
        #expect(plan == ["b": 4])
    }

    @Test func higherPriorityIsServedFirstAndTheRestGoesDown() {
        let plan = DispatchPlanner().plan(freeSlots: 10, tasks: [
            Load(task: "low", priority: 0, pending: 50), Load(task: "high", priority: 5, pending: 3),
        ])
        #expect(plan == ["high": 3, "low": 7])
    }

    @Test func neverMoreThanFreeSlotsOrPending() {
        for free in 0...12 {
            let tasks = [Load(task: "a", pending: 2), Load(task: "b", pending: 1, active: 3), Load(task: "c", priority: 1, pending: 4)]
            let plan = DispatchPlanner().plan(freeSlots: free, tasks: tasks)
            #expect(plan.values.reduce(0, +) == min(max(free, 0), 7))
            for task in tasks { #expect(plan[task.task, default: 0] <= task.pending) }
        }
        #expect(DispatchPlanner().plan(freeSlots: -3, tasks: [Load(task: "a", pending: 5)]).isEmpty)
    }

    @Test func unevenPendingFillsFromTheTasksThatStillHaveWork() {
        let plan = DispatchPlanner().plan(freeSlots: 6, tasks: [Load(task: "a", pending: 1), Load(task: "b", pending: 10)])
        #expect(plan == ["a": 1, "b": 5])
    }
}
