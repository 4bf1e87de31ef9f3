import ChannelManager
import Foundation

/// Where a ``PostgresChannelStore`` keeps its tables: a server, a role, a database, and the
/// PostgreSQL schema (namespace) in it that holds the store's tables.
///
/// The connection is plain TCP (no TLS): run the database on loopback or a private network the
/// nodes trust, or put a TLS tunnel in front of it.
public struct PostgresStoreConfiguration: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    /// The schema (namespace) holding the store's tables; created on first open.
    public var schema: String
    /// What the store's connections call themselves to the database (`application_name`, seen in
    /// `pg_stat_activity`), followed by each connection's role: `NAME-writer`, `NAME-reader`,
    /// `NAME-claims`, `NAME-admin`. A node of a cluster puts its node id in it.
    public var applicationName: String = "paychan-store"
    /// The most tickets one transaction takes: a longer queue is committed in several.
    public var maxTicketsPerCommit: Int

    /// The schema a store uses unless told otherwise.
    public static let defaultSchema = "paychan"

    /// A configuration from its parts; `schema` must be a plain lower-case identifier.
    public init(
        host: String, port: Int = 5432, username: String, password: String? = nil, database: String,
        schema: String = defaultSchema, maxTicketsPerCommit: Int = 4_096
    ) throws(StoreError) {
        guard Self.isPlainIdentifier(schema) else {
            throw StoreError(.io, "schema name '\(schema)' is not a lower-case identifier ([a-z_][a-z0-9_]*, ≤ 63)")
        }
        guard (1...65_535).contains(port) else { throw StoreError(.io, "port \(port) is out of range") }
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.schema = schema
        self.maxTicketsPerCommit = max(1, maxTicketsPerCommit)
    }

    /// Parses `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME][&application_name=NAME]`
    /// (`postgresql://` too). The port defaults to 5432, the schema to ``defaultSchema`` and the
    /// application name to `paychan-store`.
    public init(url text: String) throws(StoreError) {
        guard let components = URLComponents(string: text),
            let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql"
        else { throw StoreError(.io, "not a postgres:// URL: \(Self.redacted(text))") }
        guard let host = components.host, !host.isEmpty else {
            throw StoreError(.io, "no host in \(Self.redacted(text))")
        }
        guard let user = components.user, !user.isEmpty else {
            throw StoreError(.io, "no user in \(Self.redacted(text))")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw StoreError(.io, "no database name in \(Self.redacted(text))")
        }
        var schema = Self.defaultSchema
        var applicationName: String?
        for item in components.queryItems ?? [] {
            switch (item.name, item.value) {
            case ("schema", let value?): schema = value
            case ("application_name", let value?) where !value.isEmpty: applicationName = value
            default:
                throw StoreError(
                    .io, "unknown URL parameter '\(item.name)' (schema=NAME and application_name=NAME are known)")
            }
        }
        try self.init(
            host: host, port: components.port ?? 5432, username: user, password: components.password,
            database: database, schema: schema)
        if let applicationName { self.applicationName = applicationName }
    }

    /// The URL without its password, for messages and logs.
    public var redactedURL: String {
        "postgres://\(username)@\(host):\(port)/\(database)?schema=\(schema)"
    }

    /// Whether `text` looks like a PostgreSQL URL (rather than a file path).
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    static func isPlainIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.utf8.count <= 63 else { return false }
        let lower = Unicode.Scalar("a").value...Unicode.Scalar("z").value
        let digits = Unicode.Scalar("0").value...Unicode.Scalar("9").value
        guard lower.contains(first.value) || first == "_" else { return false }
        return name.unicodeScalars.allSatisfy { lower.contains($0.value) || digits.contains($0.value) || $0 == "_" }
    }

    private static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? "(unparsable URL)"
    }
}
