import ChannelManager
import PaychanPostgres

/// The channel store a command uses: the directory's SQLite file by default, or a PostgreSQL
/// database (`--store postgres://USER@HOST:PORT/DB`, its tables in the schema `paychan` unless
/// the URL says `?schema=NAME`). The seed stays in the directory either way.
struct OpenedStore {
    let store: any ChannelStore
    /// What it is, for messages: the file's path, or the URL without its password.
    let name: String
    /// The database's configuration, for a PostgreSQL store.
    let postgres: PostgresStoreConfiguration?
    private let closer: @Sendable () async -> Void

    init(
        store: any ChannelStore, name: String, postgres: PostgresStoreConfiguration? = nil,
        close: @escaping @Sendable () async -> Void
    ) {
        self.store = store
        self.name = name
        self.postgres = postgres
        closer = close
    }

    /// How a server node on this store claims channels: claims in the database shared by every
    /// node on it (PostgreSQL), or none to take (an SQLite file has one writer). Call `close`
    /// once the manager using them is shut down.
    func claims(nodeID: String, leaseSeconds: UInt64) -> (claims: any ChannelClaims, close: @Sendable () -> Void) {
        guard let postgres else { return (SingleNodeClaims(nodeID: nodeID), {}) }
        let claims = PostgresChannelClaims(configuration: postgres, nodeID: nodeID, leaseSeconds: leaseSeconds)
        return (claims, { claims.close() })
    }

    /// Commits what is queued and closes the store.
    func close() async { await closer() }

    /// Opens the store `--store` names, or the directory's SQLite file without it.
    /// - Parameters:
    ///   - existing: fail when the directory holds no SQLite store (a PostgreSQL store is
    ///     opened, and its schema created, whatever it holds).
    ///   - readOnly: an SQLite store that never writes (see ``SQLiteChannelStore``); a
    ///     PostgreSQL store only reads in such a command anyway.
    ///   - connectionName: the `application_name` of a PostgreSQL store's connections, unless
    ///     the URL gives one.
    static func open(
        storeOption: String?, directory: DataDirectory?, clock: any ManagerClock, existing: Bool = false,
        readOnly: Bool = false, connectionName: String? = nil
    ) async throws(CommandFailure) -> OpenedStore {
        if let storeOption {
            guard PostgresStoreConfiguration.isURL(storeOption) else {
                throw CommandFailure("--store takes a postgres:// URL, not \(storeOption)")
            }
            var configuration: PostgresStoreConfiguration
            do { configuration = try PostgresStoreConfiguration(url: storeOption) } catch {
                throw CommandFailure("--store: \(error.message)")
            }
            if let connectionName, !storeOption.contains("application_name=") {
                configuration.applicationName = connectionName
            }
            do {
                let store = try await PostgresChannelStore.open(configuration, clock: clock)
                return OpenedStore(
                    store: store, name: configuration.redactedURL, postgres: configuration,
                    close: { await store.close() })
            } catch {
                throw CommandFailure("cannot open \(configuration.redactedURL): \(error)")
            }
        }
        guard let directory else { throw CommandFailure("give --dir (its channels.sqlite) or --store URL") }
        let store =
            existing
            ? try directory.openExistingStore(clock: clock, readOnly: readOnly)
            : try directory.openStore(clock: clock, readOnly: readOnly)
        return OpenedStore(store: store, name: directory.storePath, close: { store.close() })
    }
}
