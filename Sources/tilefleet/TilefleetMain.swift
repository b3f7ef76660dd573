import TilefleetCLI

/// The executable's entry point: everything else lives in TilefleetCLI.
@main
enum TilefleetMain {
    static func main() async {
        await Tilefleet.main()
    }
}
