import Serve
import Testing

@Suite struct UnitJobIDTests {
    @Test func anIDIsTheTaskAndTheTileJoinedByTheFirstTilde() throws {
        let id = UnitJobID(task: "vienna-pv-1a2b", tile: "f0003")
        #expect(id.description == "vienna-pv-1a2b~f0003")
        #expect(UnitJobID("vienna-pv-1a2b~f0003") == id)
        // A tile id may itself hold a tilde; task ids never do.
        #expect(UnitJobID("t~a~b") == UnitJobID(task: "t", tile: "a~b"))
    }

    @Test func anIDWithoutBothPartsIsRefused() {
        #expect(UnitJobID("no-tilde") == nil)
        #expect(UnitJobID("~tile") == nil)
        #expect(UnitJobID("task~") == nil)
    }
}
