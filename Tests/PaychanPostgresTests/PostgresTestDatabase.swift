import ChannelManager
import Foundation
import Logging
import PaychanPostgres
import PostgresNIO
import Testing

/// The database the PostgreSQL tests run on: the one `PAYCHAN_POSTGRES_URL` names
/// (`Scripts/test` starts a throw-away cluster and sets it). Without it the tests are skipped.
/// Each test works in a schema of its own, dropped afterwards, so tests run in parallel and
/// nothing depends on an earlier run.
enum PostgresTestDatabase {
    static let url = ProcessInfo.processInfo.environment["PAYCHAN_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    /// Whether a database was named.
    static var isConfigured: Bool { url != nil }

    static let logger: Logger = {
        var logger = Logger(label: "paychan.postgres-tests")
        logger.logLevel = .critical
        return logger
    }()

    struct NotConfigured: Error {}

    /// The configuration for a new, empty schema of a random name.
    static func freshConfiguration() throws -> PostgresStoreConfiguration {
        guard let url else { throw NotConfigured() }
        var configuration = try PostgresStoreConfiguration(url: url)
        configuration.schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        return configuration
    }

    /// Runs `body` with the configuration of a fresh schema, dropped afterwards.
    static func withFreshSchema<T>(_ body: (PostgresStoreConfiguration) async throws -> T) async throws -> T {
        let configuration = try freshConfiguration()
        do {
            let result = try await body(configuration)
            try await dropSchema(configuration)
            return result
        } catch {
            try? await dropSchema(configuration)
            throw error
        }
    }

    /// Runs `body` with a store on a fresh schema, closed and dropped afterwards.
    static func withStore(
        clock: ManualClock = ManualClock(now: 1_700_000_000), _ body: (PostgresChannelStore) async throws -> Void
    ) async throws {
        try await withFreshSchema { configuration in
            let store = try await PostgresChannelStore.open(configuration, clock: clock, logger: logger)
            do {
                try await body(store)
                await store.close()
            } catch {
                await store.close()
                throw error
            }
        }
    }

    /// Runs `body` with a connection of its own to the test database, its `search_path` set to
    /// `schema` when given.
    @discardableResult
    static func withConnection<T>(
        _ configuration: PostgresStoreConfiguration, schema: String? = nil,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        var settings = PostgresConnection.Configuration(
            host: configuration.host, port: configuration.port, username: configuration.username,
            password: configuration.password, database: configuration.database, tls: .disable)
        if let schema { settings.options.additionalStartupParameters = [("search_path", "\"\(schema)\"")] }
        let connection = try await PostgresConnection.connect(configuration: settings, id: 0, logger: logger)
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Runs each statement of `sql` (statements end with `;` at the end of a line).
    static func execute(script sql: String, on connection: PostgresConnection) async throws {
        for statement in statements(of: sql) {
            _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger).get()
        }
    }

    /// The statements of a script: split at a `;` that ends a line, comments (`--` lines) and
    /// blank lines dropped.
    static func statements(of sql: String) -> [String] {
        let lines = sql.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("--") }
        return lines.joined(separator: "\n").components(separatedBy: ";\n")
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .map { $0.hasSuffix(";") ? String($0.dropLast()) : $0 }
            .filter { !$0.isEmpty }
    }

    static func dropSchema(_ configuration: PostgresStoreConfiguration) async throws {
        try await withConnection(configuration) { connection in
            _ = try await connection.query(
                PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \"\(configuration.schema)\" CASCADE"), logger: logger
            ).get()
        }
    }
}
