/// One numbered, transactional schema change.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Every migration this build knows, in order.
    public static let all: [Migration] = [
        Migration(version: 1, name: "tasks, tiles, backend jobs, events, assets", sql: Migrations.v1Tables),
        Migration(version: 2, name: "reporting views", sql: Migrations.v2Views),
        Migration(version: 3, name: "post-job runs", sql: Migrations.v3PostJobs),
        Migration(version: 4, name: "room for heap-only updates of tiles and backend jobs", sql: Migrations.v4HotUpdates),
        Migration(version: 5, name: "cancel fence and cancel bookkeeping", sql: Migrations.v5CancelFence),
        Migration(version: 6, name: "leases, heartbeats and the recorder's watermark", sql: Migrations.v6Recovery),
        Migration(version: 7, name: "asset keys; tasks by requester", sql: Migrations.v7AssetKeys),
        Migration(version: 8, name: "costs and usage per attempt, task budgets", sql: Migrations.v8Costs),
        Migration(version: 9, name: "tasks over several backends, backend health and effective limits", sql: Migrations.v9MultiBackend),
        Migration(version: 10, name: "estimate samples", sql: Migrations.v10Samples),
        Migration(version: 11, name: "parked tiles (a start refused with \"try later\" waits for the dispatcher)", sql: Migrations.v11Parking),
        Migration(version: 12, name: "pending tiles indexed for dispatch passes of any task size", sql: Migrations.v12PendingIndexes),
    ]

    public static var latestVersion: Int { all.last?.version ?? 0 }
}
