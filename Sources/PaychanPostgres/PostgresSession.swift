import ChannelManager
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Opening the store's connections: every one runs with `synchronous_commit = on` and the
/// store's schema first on its `search_path`, set in the startup message (no extra round trip,
/// and no `SET` a pooler could lose).
enum PostgresSession {
    private static let nextID = Atomic<Int>(0)

    static func connect(_ configuration: PostgresStoreConfiguration, role: String, logger: Logger)
        async throws(StoreError) -> PostgresConnection
    {
        var settings = PostgresConnection.Configuration(
            host: configuration.host, port: configuration.port, username: configuration.username,
            password: configuration.password, database: configuration.database, tls: .disable)
        settings.options.additionalStartupParameters = [
            ("synchronous_commit", "on"),
            ("search_path", PostgresSchema.quoted(configuration.schema)),
            ("application_name", "\(configuration.applicationName)-\(role)"),
        ]
        settings.options.connectTimeout = .seconds(10)
        let id = nextID.wrappingAdd(1, ordering: .relaxed).newValue
        do {
            return try await PostgresConnection.connect(configuration: settings, id: id, logger: logger)
        } catch {
            throw PostgresErrors.storeError(error, "cannot connect to \(configuration.redactedURL)")
        }
    }

    /// The server process serving a connection.
    static func backendPID(_ run: PostgresStatementRunner) async throws(StoreError) -> Int32 {
        let rows = try await run.rows("SELECT pg_backend_pid(), current_setting('synchronous_commit')")
        guard let cells = rows.first?.makeRandomAccess(), let pid = try? cells[0].decode(Int32.self),
            let synchronous = try? cells[1].decode(String.self)
        else { throw StoreError(.io, "the server did not say its backend pid") }
        // Refuse to acknowledge anything on a session whose commits would not wait for the WAL.
        guard synchronous == "on" || synchronous == "remote_apply" || synchronous == "remote_write" else {
            throw StoreError(.io, "synchronous_commit is '\(synchronous)', not on")
        }
        return pid
    }
}

/// The connection reads run on, opened at the first read and again after it was lost.
final class PostgresReaderConnection: Sendable {
    private let configuration: PostgresStoreConfiguration
    private let logger: Logger
    private let role: String
    private let current = Mutex<PostgresConnection?>(nil)

    init(configuration: PostgresStoreConfiguration, logger: Logger, role: String = "reader") {
        self.configuration = configuration
        self.logger = logger
        self.role = role
    }

    func rows(_ query: PostgresQuery) async throws(StoreError) -> [PostgresRow] {
        let connection: PostgresConnection
        if let open = current.withLock({ $0 }), !open.isClosed {
            connection = open
        } else {
            // Callers that found no open connection at the same moment each open one; the first
            // to get back installs its own and the others use it and close theirs. An open
            // connection in the slot is never replaced: another caller may be running a query
            // on it (closing it under that query failed it with `clientClosedConnection`).
            let fresh = try await PostgresSession.connect(configuration, role: role, logger: logger)
            connection = current.withLock { slot -> PostgresConnection in
                if let open = slot, !open.isClosed { return open }
                slot = fresh
                return fresh
            }
            if connection !== fresh { Self.closeSoon(fresh) }
        }
        return try await PostgresStatementRunner(connection: connection, logger: logger).rows(query)
    }

    func close() {
        let connection = current.withLock { slot -> PostgresConnection? in
            defer { slot = nil }
            return slot
        }
        if let connection { Self.closeSoon(connection) }
    }

    /// Starts closing a connection without waiting for it; the connection is kept until it is
    /// closed (PostgresNIO asserts that none is released open).
    static func closeSoon(_ connection: PostgresConnection) {
        let closing: EventLoopFuture<Void> = connection.close()
        closing.whenComplete { _ in withExtendedLifetime(connection) {} }
    }
}
