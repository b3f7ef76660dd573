import Coordinator
import FleetConfig
import Foundation
import FuzzTargets

// The libFuzzer entry points (`make fuzz`; built only with TILEFLEET_FUZZ=1, with
// `-sanitize=fuzzer,address`). The target comes from
// TILEFLEET_FUZZ_TARGET (a `FuzzTarget` name); task specs are read against TILEFLEET_FUZZ_FLEET
// (default config/fleet.example.yaml).

/// What every input is run against: set once, before the first input.
struct Fuzzing: @unchecked Sendable {
    var target = FuzzTarget.workItem
    var fleet = FleetConfiguration()
    var base = "config/tasks"
}

nonisolated(unsafe) var fuzzing = Fuzzing()

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>) -> CInt {
    let environment = ProcessInfo.processInfo.environment
    guard let name = environment["TILEFLEET_FUZZ_TARGET"], let chosen = FuzzTarget(rawValue: name) else {
        FileHandle.standardError.write(Data("set TILEFLEET_FUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
        exit(2)
    }
    let path = environment["TILEFLEET_FUZZ_FLEET"] ?? "config/fleet.example.yaml"
    do {
        fuzzing = Fuzzing(target: chosen, fleet: try FleetConfiguration.load(explicit: path, environment: [:]),
                          base: (path as NSString).deletingLastPathComponent + "/tasks")
    } catch {
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        exit(2)
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    fuzzing.target.run(bytes, fleet: fuzzing.fleet, base: fuzzing.base)
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
               _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// The entry point SwiftPM links executables with (it renames `main` to `<module>_main`). The
/// link allows libFuzzer's own `main` beside it; whichever the linker keeps runs the same driver.
@_cdecl("TilefleetFuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var count = argc
    var arguments = argv
    _ = initialize(&count, &arguments)
    return runDriver(&count, &arguments) { data, size in testOneInput(data, size) }
}
