import FleetConfig
import Coordinator
import Foundation
import FuzzTargets

// The libFuzzer entry points (`make fuzz`; built only with TILEFLEET_FUZZ=1 and
// `-sanitize=fuzzer,address`). The target comes from TILEFLEET_FUZZ_TARGET (a `FuzzTarget` name);
// task specs are read against TILEFLEET_FUZZ_FLEET (default config/fleet.example.yaml).

nonisolated(unsafe) private var target = FuzzTarget.workItem
nonisolated(unsafe) private var fleet = FleetConfiguration()
nonisolated(unsafe) private var base = "config/tasks"

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>) -> CInt {
    let environment = ProcessInfo.processInfo.environment
    guard let name = environment["TILEFLEET_FUZZ_TARGET"], let chosen = FuzzTarget(rawValue: name) else {
        FileHandle.standardError.write(Data("set TILEFLEET_FUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
        exit(2)
    }
    target = chosen
    let path = environment["TILEFLEET_FUZZ_FLEET"] ?? "config/fleet.example.yaml"
    do {
        fleet = try FleetConfiguration.load(explicit: path, environment: [:])
    } catch {
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        exit(2)
    }
    base = (path as NSString).deletingLastPathComponent + "/tasks"
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    target.run(bytes, fleet: fleet, base: base)
    return 0
}
