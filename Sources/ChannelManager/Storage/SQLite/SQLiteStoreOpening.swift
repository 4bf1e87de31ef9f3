import Foundation
import GRDB

/// Opens (creating if needed) and migrates a channel database file.
enum SQLiteStoreOpening {
    /// How many times opening is tried when another process opens the same file at once.
    static let attempts = 8

    /// A pool on `path`: WAL journal, `synchronous = FULL` on the writer, foreign keys on, a busy
    /// timeout; schema checked and migrated to the newest version this code knows.
    ///
    /// Several processes may open (and so create or migrate) one file at the same moment: a
    /// server and `paychan channels`, say. SQLite then refuses one of them at once now and then
    /// (switching to WAL while another connection holds a lock), and GRDB's migrator can run a
    /// migration another process has just committed (each migration is one transaction, so the
    /// loser's is rolled back whole). Such a failure is retried after a short pause, on a fresh
    /// pool that reads the schema again, while `busyTimeout` has not run out.
    static func open(path: String, now: UInt64, busyTimeout: Double) throws(StoreError) -> DatabasePool {
        let waitSeconds = busyTimeout.isFinite ? max(0, min(busyTimeout, 86_400)) : 0
        let deadline = ContinuousClock.now + .milliseconds(Int64(waitSeconds * 1_000))
        var attempt = 1
        while true {
            do {
                return try openOnce(path: path, now: now, busyTimeout: busyTimeout)
            } catch let error as DatabaseError
                where attempt < attempts && mayBeConcurrentOpen(error) && ContinuousClock.now < deadline
            {
                // 4, 8, 16, 32, 64 ms and then 64 ms again: about a quarter of a second in all.
                usleep(UInt32(2_000 << min(attempt, 5)))
                attempt += 1
            } catch {
                throw StoreError.from(error, "cannot open \(path)")
            }
        }
    }

    /// Whether `error` may come from another process opening the file at the same time (a
    /// file that is not a database, or a corrupt one, never does).
    private static func mayBeConcurrentOpen(_ error: DatabaseError) -> Bool {
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT, .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY, .SQLITE_FULL:
            false
        default: true
        }
    }

    private static func openOnce(path: String, now: UInt64, busyTimeout: Double) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(busyTimeout)
        configuration.label = "paychan.store"
        let pool = try DatabasePool(path: path, configuration: configuration)
        do {
            try configureWriter(pool)
            try checkSchema(pool)
            try SQLiteSchema.migrator(now: now).migrate(pool)
        } catch {
            try? pool.close()
            throw error
        }
        return pool
    }

    /// GRDB sets `synchronous = NORMAL` on WAL databases; the store needs every commit durable.
    private static func configureWriter(_ pool: DatabasePool) throws {
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // 2 = FULL
            let synchronous = try Int.fetchOne(db, sql: "PRAGMA synchronous")
            guard synchronous == 2 else {
                throw StoreError(.io, "PRAGMA synchronous is \(synchronous.map(String.init) ?? "unknown"), not FULL")
            }
            let journal = try String.fetchOne(db, sql: "PRAGMA journal_mode")
            guard journal?.lowercased() == "wal" else {
                throw StoreError(.io, "journal mode is \(journal ?? "unknown"), not WAL")
            }
        }
    }

    /// Refuses a file some other program wrote, or one a newer version of this code migrated. A
    /// file whose creation was interrupted (a kill after the migrator made its own table, before
    /// the first migration committed) has no other table, and is migrated as a new one.
    private static func checkSchema(_ pool: DatabasePool) throws {
        try pool.read { db in
            let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
            let applied = try SQLiteSchema.migrator(now: 0).appliedIdentifiers(db)
            let tableCount =
                try Int.fetchOne(
                    db,
                    sql: """
                        SELECT count(*) FROM sqlite_master
                        WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations'
                        """)
                ?? 0
            if applicationID != 0 && applicationID != SQLiteSchema.applicationID {
                throw StoreError(.unsupportedSchema, "not a Paychan channel store (application_id \(applicationID))")
            }
            if applied.isEmpty && tableCount > 0 {
                throw StoreError(.unsupportedSchema, "not a Paychan channel store (tables without schema history)")
            }
            let unknown = applied.subtracting(SQLiteSchema.migrationIdentifiers)
            if !unknown.isEmpty {
                throw StoreError(
                    .unsupportedSchema,
                    "written by a newer version: unknown schema migrations \(unknown.sorted().joined(separator: ", "))")
            }
        }
    }
}
