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
        overlay: @escaping @Sendable (inout T, PaymentJournalOverlay) -> Void
    ) async throws -> T {
        for _ in 0..<Self.attempts {
            let (rows, folded) = try await pool.read { db in (try query(db), try SQLitePaymentJournal.folded(db)) }
            let entries = try pending(base: folded)
            let foldedAfter = try await pool.read { db in try SQLitePaymentJournal.folded(db) }
            guard foldedAfter == folded else { continue }
            var result = rows
            if !entries.isEmpty { overlay(&result, PaymentJournalOverlay(entries)) }
            return result
        }
        throw StoreError(.io, "the payment journal \(path) was folded under every read attempt")
    }

    /// The journal's payments of the cycle that follows `base`, in order.
    private func pending(base: UInt64) throws -> [JournaledPayment] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return data.withUnsafeBytes { contents in
            SQLitePaymentJournal.replayable(contents, identity: identity, base: base).flatMap(\.entries)
        }
    }
}

/// The newest journaled payment of each channel, to lay over rows read from the database.
struct PaymentJournalOverlay: Sendable {
    private var server: [Hash256: (value: Amount, signature: [UInt8])] = [:]
    private var client: [Hash256: Amount] = [:]

    init(_ entries: [JournaledPayment]) {
        for entry in entries {
            switch entry {
            case .server(let txid, let value, let signature): server[txid] = (value, signature)
            case .client(let txid, let valueLeft): client[txid] = valueLeft
            }
        }
    }

    func apply(to record: inout ServerChannelRecord) {
        guard let payment = server[record.contractTxid] else { return }
        record.bestValueToServer = payment.value
        record.bestSignature = payment.signature
    }

    func apply(to record: inout ClientChannelRecord) {
        guard let valueLeft = client[record.contractTxid] else { return }
        record.valueLeft = valueLeft
    }

    func apply(to records: inout [ServerChannelRecord]) {
        for index in records.indices { apply(to: &records[index]) }
    }

    func apply(to records: inout [ClientChannelRecord]) {
        for index in records.indices { apply(to: &records[index]) }
    }

    func apply(to record: inout ServerChannelRecord?) {
        guard var value = record else { return }
        apply(to: &value)
        record = value
    }

    func apply(to record: inout ClientChannelRecord?) {
        guard var value = record else { return }
        apply(to: &value)
        record = value
    }
}
