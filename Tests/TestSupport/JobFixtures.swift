import FleetModel

/// Backend jobs the adapter tests submit: an openEO UDP by URL and an OGC process.
public let udpJob = BackendJob(
    process: .named(id: "eurac_pv_farm_detection", namespace: "https://example.org/udp/eurac_pv_farm_detection.json"),
    arguments: [
        "spatial_extent": .object(["west": .number(16.2), "south": .number(48.1), "east": .number(16.5), "north": .number(48.3)]),
        "temporal_extent": .array([.string("2023-05-01"), .string("2023-09-30")]),
    ],
    title: "PV farms",
    options: ["executor-memory": .string("2g")],
    outputFormat: "GTiff"
)

public let ogcJob = BackendJob(process: .named(id: "ndvi", namespace: nil), arguments: ["tile": .string("31UFS")], title: "ndvi 31UFS")
