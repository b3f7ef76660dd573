import TilefleetCLI

await Tilefleet.main()
