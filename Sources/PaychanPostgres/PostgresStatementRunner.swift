import ChannelManager
import Logging
import NIOCore
import PostgresNIO

/// Runs statements on one connection, turning every database error into a ``StoreError``.
struct PostgresStatementRunner: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    /// Runs a statement; returns how many rows it changed (or returned).
    @discardableResult
    func execute(_ query: PostgresQuery) async throws(StoreError) -> Int {
        try await result(query).metadata.rows ?? 0
    }

    /// Runs a query; returns its rows.
    func rows(_ query: PostgresQuery) async throws(StoreError) -> [PostgresRow] {
        try await result(query).rows
    }

    /// Runs `query`, checking on the connection's event loop, right before handing it over,
    /// that the connection is still open: PostgresNIO 1.33 never answers a query written after
    /// its connection was closed and torn down (the server gone, the backend terminated), which
    /// would leave the store waiting forever instead of failing.
    private func result(_ query: PostgresQuery) async throws(StoreError) -> PostgresQueryResult {
        let connection = connection
        let logger = logger
        let running = connection.eventLoop.flatSubmit { () -> EventLoopFuture<PostgresQueryResult> in
            guard !connection.isClosed else {
                return connection.eventLoop.makeFailedFuture(
                    StoreError(.io, "the connection to the database is closed"))
            }
            return connection.query(query, logger: logger)
        }
        do {
            return try await running.get()
        } catch {
            throw PostgresErrors.storeError(error, "statement failed")
        }
    }
}

/// How database errors become store errors.
enum PostgresErrors {
    /// `.io` with the server's message where there is one (PostgresNIO hides it from the
    /// error's plain description).
    static func storeError(_ error: any Error, _ context: String) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? PSQLError {
            var detail = "\(error.code)"
            if let message = error.serverInfo?[.message] {
                let code = error.serverInfo?[.sqlState].map { " [\($0)]" } ?? ""
                detail = "\(message)\(code)"
            } else if let underlying = error.underlying {
                detail += ": \(underlying)"
            }
            return StoreError(.io, "\(context): \(detail)")
        }
        return StoreError(.io, "\(context): \(error)")
    }
}
