import ChannelManager
import ChannelStoreConformance
import Foundation

/// Runs `body` with a fresh temporary directory, removed afterwards.
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("paychan-store-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory)
}

/// The stores held to the same rules.
enum StoreKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case inMemory
    case sqlite
    /// SQLite with its commits scheduled on a thread of the test's own
    /// (``SQLiteChannelStore/Committer/scheduled(_:)``).
    case sqliteScheduled

    var description: String { rawValue }

    /// Runs `body` with an empty store of this kind (an SQLite file in a temporary directory).
    func withStore(
        clock: ManualClock = ManualClock(now: StoreFixtures.baseTime), _ body: (any ChannelStore) async throws -> Void
    )
        async throws
    {
        switch self {
        case .inMemory:
            try await body(InMemoryChannelStore(clock: clock))
        case .sqlite:
            try await withTemporaryDirectory { directory in
                let store = try SQLiteChannelStore(
                    path: directory.appendingPathComponent("store.sqlite").path, clock: clock)
                defer { store.close() }
                try await body(store)
            }
        case .sqliteScheduled:
            try await withTemporaryDirectory { directory in
                let thread = SerialWorkThread()
                // The store is closed before the thread that runs its commits stops.
                defer { thread.stop() }
                let store = try SQLiteChannelStore(
                    path: directory.appendingPathComponent("store.sqlite").path, clock: clock,
                    committer: thread.committer)
                defer { store.close() }
                try await body(store)
            }
        }
    }
}
