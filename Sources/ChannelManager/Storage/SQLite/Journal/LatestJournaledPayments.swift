import BitcoinPrimitives
import ChannelStateMachine

/// The newest journaled payment of each channel, per role: what a fold writes, and what an
/// observing store lays over the rows it reads. A contract can be stored as a server channel
/// and as a client channel in one store (a demo running both sides), so the roles are kept apart.
struct LatestJournaledPayments: Sendable {
    private(set) var server: [Hash256: (value: Amount, signature: [UInt8])] = [:]
    private(set) var client: [Hash256: Amount] = [:]

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
