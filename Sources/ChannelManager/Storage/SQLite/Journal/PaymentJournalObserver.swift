import BitcoinPrimitives
import ChannelStateMachine
import Foundation
import GRDB

/// A store's view of the payment journal another open store (another process, most often a
/// running server) owns on the same database: the payments journaled there and not yet folded,
/// laid over the rows this store reads, so that it sees every acknowledged payment.
///
/// A read takes the database's folded sequence number in the same snapshot as its rows, then
/// the journal's records of that cycle. If the owner folded meanwhile (the number changed), the
/// read starts over.
struct PaymentJournalObserver: Sendable {
    let path: String
    let identity: [UInt8]

    /// How many times a read starts over before it gives up.
    static let attempts = 16

    /// Runs `query` and lays the owner's unfolded payments over its result with `overlay`.
    func read<T: Sendable>(
        _ pool: DatabasePool, _ query: @escaping @Sendable (Database) throws -> T,
        overlay: @escaping @Sendable (inout T, LatestJournaledPayments) -> Void
    ) async throws -> T {
        for _ in 0..<Self.attempts {
            let (rows, folded) = try await pool.read { db in (try query(db), try SQLitePaymentJournal.folded(db)) }
            let entries = try pending(base: folded)
            let foldedAfter = try await pool.read { db in try SQLitePaymentJournal.folded(db) }
            guard foldedAfter == folded else { continue }
            var result = rows
            if !entries.isEmpty { overlay(&result, LatestJournaledPayments(entries)) }
            return result
        }
        throw StoreError(.io, "the payment journal \(path) was folded under every read attempt")
    }

    /// The journal's payments of the cycle that follows `base`, in order, read only as far as
    /// that cycle's records go (none when there is no journal file).
    private func pending(base: UInt64) throws(StoreError) -> [JournaledPayment] {
        guard let reader = try PaymentJournalReader(path: path) else { return [] }
        return try SQLitePaymentJournal.replayable(in: reader, identity: identity, base: base).flatMap(\.entries)
    }
}
