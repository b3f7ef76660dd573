@testable import Coordinator
import FleetModel
import Testing

/// Choosing an estimate's sample and projecting a whole task from it, without I/O.
@Suite struct EstimateTests {
    @Test func sampleSizesParseAsAShareOrACount() {
        #expect(EstimateSample.Size(parsing: "2%") == .share(0.02))
        #expect(EstimateSample.Size(parsing: " 0.5% ") == .share(0.005))
        #expect(EstimateSample.Size(parsing: "20") == .count(20))
        for bad in ["0%", "101%", "-3", "0", "two", "%", "nan%", "2.5"] {
            #expect(EstimateSample.Size(parsing: bad) == nil, "\(bad)")
        }
        #expect(EstimateSample.Size.share(0.02).tiles(of: 1000) == 20)
        #expect(EstimateSample.Size.share(0.02).tiles(of: 10) == 1, "at least one tile")
        #expect(EstimateSample.Size.count(50).tiles(of: 10) == 10, "at most every tile")
        #expect(EstimateSample.Size.count(5).tiles(of: 0) == 0)
    }

    @Test func theSampleSpreadsOverEveryWindowAndOverSmallAndLargeTiles() {
        // Two windows of 500 tiles each; sizes 1…500 in a scrambled order.
        var candidates: [EstimateSample.Candidate] = []
        for window in ["2023-Q1", "2023-Q2"] {
            for k in 0..<500 { candidates.append(.init(window: window, size: Double((k * 337) % 500 + 1))) }
        }
        let sample = EstimateSample(candidates, size: .share(0.02), seed: 42)
        #expect(sample.indices.count == 20)
        #expect(Set(sample.indices).count == 20)
        let chosen = sample.indices.map { candidates[$0] }
        #expect(chosen.filter { $0.window == "2023-Q1" }.count == 10)
        #expect(chosen.filter { $0.window == "2023-Q2" }.count == 10)
        // Each window's ten tiles cover its sizes evenly: one from each tenth.
        for window in ["2023-Q1", "2023-Q2"] {
            let tenths = Set(chosen.filter { $0.window == window }.map { Int(($0.size - 1) / 50) })
            #expect(tenths == Set(0..<10), "\(window): \(tenths.sorted())")
        }
        #expect(EstimateSample(candidates, size: .share(0.02), seed: 42) == sample, "the same seed gives the same sample")
        #expect(EstimateSample(candidates, size: .share(0.02), seed: 7) != sample, "another seed another sample")
    }

    @Test func creditsThatGrowWithAreaAreProjectedByTheirRatio() {
        // 2 credits per km², tiles of 10…100 km²: the sample's line goes through the origin.
        let sample = (1...10).map { RunEstimate.Observation(size: Double($0 * 10), credits: Double($0 * 20), turnaroundSeconds: 60) }
        let estimate = RunEstimate(sample: sample, tiles: 1000, totalSize: 40_000, slots: 20)
        let credits = try! #require(estimate.credits)
        #expect(abs(credits.value - 80_000) < 1e-6)
        #expect(abs((estimate.creditsPerSize ?? 0) - 2) < 1e-9)
        // An exact line: every bootstrap round projects the same total.
        #expect(abs(credits.low - 80_000) < 1e-6 && abs(credits.high - 80_000) < 1e-6)
        // Jobs of 60 s whatever their area: 1000 × 60 s over 20 slots, plus half a job for the last wave.
        let wall = try! #require(estimate.wallSeconds)
        #expect(abs(wall.value - (3000 + 30)) < 1e-6)
    }

    @Test func aFigureThatDoesNotGrowWithSizeIsProjectedByItsMean() {
        let sample = [10.0, 20, 30, 40].map { RunEstimate.Observation(size: $0, credits: 5, turnaroundSeconds: nil) }
        let estimate = RunEstimate(sample: sample, tiles: 100, totalSize: 2500, slots: 10)
        #expect(abs((estimate.credits?.value ?? 0) - 500) < 1e-6)
        #expect(estimate.wallSeconds == nil, "no turnaround, no wall time")
    }

    @Test func noisySamplesGiveAnIntervalAroundTheProjection() {
        var generator = SplitMix64(seed: 3)
        let sample = (0..<20).map { _ -> RunEstimate.Observation in
            let size = 20 + 80 * generator.nextUnit()
            return RunEstimate.Observation(size: size, credits: size * (0.7 + 0.6 * generator.nextUnit()), turnaroundSeconds: 100 + 40 * generator.nextUnit())
        }
        let estimate = RunEstimate(sample: sample, tiles: 1000, totalSize: 60_000, slots: 50)
        let credits = try! #require(estimate.credits)
        #expect(credits.low < credits.value && credits.value < credits.high)
        #expect(credits.low > 40_000 && credits.high < 80_000, "\(credits)")
        let wall = try! #require(estimate.wallSeconds)
        #expect(wall.low <= wall.value && wall.value <= wall.high)
    }

    @Test func fewerTilesThanSlotsTakeAsLongAsTheLongestJob() {
        let sample = [50.0, 80, 65].map { RunEstimate.Observation(size: 1, credits: nil, turnaroundSeconds: $0) }
        let estimate = RunEstimate(sample: sample, tiles: 5, totalSize: 5, slots: 20)
        #expect(estimate.wallSeconds?.value == 80)
        #expect(estimate.credits == nil)
    }

    @Test func aProjectionIsNeverBelowZero() {
        // A steep line with a negative intercept, projected onto tiles smaller than the sample's.
        let sample = [(10.0, 1.0), (20, 50), (30, 100)].map { RunEstimate.Observation(size: $0.0, credits: $0.1, turnaroundSeconds: nil) }
        let estimate = RunEstimate(sample: sample, tiles: 100, totalSize: 100, slots: 1)
        #expect(estimate.credits?.value == 0)
    }
}
