import ArgumentParser
import Testing
@testable import TilefleetCLI

/// Values starting with '-' parse as typed: bboxes west of Greenwich, negative option values.
@Suite struct NegativeValueArgumentsTests {
    func parse(_ arguments: [String]) throws -> any ParsableCommand {
        try Tilefleet.parseAsRoot(Tilefleet.arguments(arguments))
    }

    @Test func aNegativeWestBboxIsThePositionalArea() throws {
        let command = try #require(try parse(["tiles", "-9.5,38.6,-8.9,39.0"]) as? TilesCommand)
        #expect(command.aoi == "-9.5,38.6,-8.9,39.0")
        let withOptions = try #require(try parse(["tiles", "--grid", "km:10", "-9.5,38.6,-8.9,39.0", "--format", "json"]) as? TilesCommand)
        #expect(withOptions.aoi == "-9.5,38.6,-8.9,39.0")
        #expect(withOptions.grid == "km:10")
        #expect(withOptions.format == .json)
    }

    @Test func aFlagBeforeANegativeBboxTakesNoValue() throws {
        let command = try #require(try parse(["tiles", "--yes", "-9.5,38.6,-8.9,39.0", "--antimeridian"]) as? TilesCommand)
        #expect(command.yes && command.antimeridian)
        #expect(command.aoi == "-9.5,38.6,-8.9,39.0")
    }

    @Test func negativeOptionValuesAreValues() throws {
        let command = try #require(try parse(["tiles", "--min-area", "-1", "-9.5,38.6,-8.9,39.0"]) as? TilesCommand)
        #expect(command.minArea == -1)
        #expect(command.aoi == "-9.5,38.6,-8.9,39.0")
        let decimal = try #require(try parse(["tiles", "4,50,5,51", "--min-area", "-.5"]) as? TilesCommand)
        #expect(decimal.minArea == -0.5)
    }

    @Test func anExplicitTerminatorStillWorks() throws {
        let command = try #require(try parse(["tiles", "--grid", "mgrs", "--", "-9.5,38.6,-8.9,39.0"]) as? TilesCommand)
        #expect(command.aoi == "-9.5,38.6,-8.9,39.0")
        #expect(command.grid == "mgrs")
    }

    @Test func argumentsWithoutNegativeValuesAreUntouched() {
        let arguments = ["cancel", "task-1", "--tiles", "a", "b", "--config", "f.yaml"]
        #expect(Tilefleet.arguments(arguments) == arguments)
        #expect(Tilefleet.arguments(["tiles", "-", "--grid", "km:5"]) == ["tiles", "-", "--grid", "km:5"])
    }

    @Test func optionNamesAreNotMistakenForValues() {
        #expect(!NegativeValueArguments.isNegativeValue("--min-area"))
        #expect(!NegativeValueArguments.isNegativeValue("-h"))
        #expect(!NegativeValueArguments.isNegativeValue("-"))
        #expect(NegativeValueArguments.isNegativeValue("-1"))
        #expect(NegativeValueArguments.isNegativeValue("-.5"))
        #expect(!NegativeValueArguments.isNegativeValue("-.x"))
    }
}
