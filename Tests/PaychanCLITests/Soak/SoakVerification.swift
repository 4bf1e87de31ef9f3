import BitcoinPrimitives
import Foundation

/// The end state of a soak, read back from the server's and client's stores
/// (`paychan channels --json`) and the server's transaction log, and the checks on it.
struct SoakVerification {
    let server: [[String: Any]]
    let client: [[String: Any]]
    let transactions: [Transaction]
    /// The server's payout script (every settlement pays its share there).
    let payout: Script

    /// Counts of how the client's channels ended, for the report.
    struct Outcome {
        var settledOnBoth = 0
        /// Settled by the server; the client was killed before it heard (or the server settled
        /// it by hand at the end), so it learns it from the chain at its refund time.
        var settledUnseenByClient = 0
        /// Stored by the client while opening, never by the server: its refund takes it back.
        var neverReachedServer = 0
        var problems: [String] = []
    }

    /// Client states before the client has seen its channel end: it learns the settlement from
    /// the chain, or takes its refund, at the refund time.
    static let unended: Set<String> = ["opening", "open", "refused"]

    func check(_ ledger: SoakLedger) -> Outcome {
        var outcome = Outcome()
        let clientByTxid = Dictionary(client.map { ($0["contract_txid"] as? String ?? "?", $0) }) { a, _ in a }
        let serverByTxid = Dictionary(server.map { ($0["contract_txid"] as? String ?? "?", $0) }) { a, _ in a }
        for channel in server {
            outcome.problems += checkServerChannel(channel, client: clientByTxid, ledger: ledger)
        }
        for channel in client {
            let txid = channel["contract_txid"] as? String ?? "?"
            let state = channel["state"] as? String ?? "?"
            let acked = Int(ledger.acknowledged[txid] ?? 0)
            if let onServer = serverByTxid[txid] {
                if state == "settled" {
                    outcome.settledOnBoth += 1
                    if channel["settlement_txid"] as? String != onServer["settlement_txid"] as? String {
                        outcome.problems.append("channel \(txid): the client and server hold different settlements")
                    }
                } else if Self.unended.contains(state) {
                    outcome.settledUnseenByClient += 1
                } else {
                    outcome.problems.append("channel \(txid): client state \(state) although the server settled it")
                }
            } else {
                if acked > 0 {
                    outcome.problems.append("channel \(txid): \(acked) sat acknowledged but the server has no record")
                }
                guard Self.unended.contains(state) else {
                    outcome.problems.append("channel \(txid): client state \(state) for a channel the server lacks")
                    continue
                }
                outcome.neverReachedServer += 1
            }
        }
        for (txid, settlement) in ledger.settlementsReceived
        where serverByTxid[txid]?["settlement_txid"] as? String != settlement {
            outcome.problems.append("channel \(txid): a client run received settlement \(settlement), not stored")
        }
        return outcome
    }

    private func checkServerChannel(
        _ channel: [String: Any], client: [String: [String: Any]], ledger: SoakLedger
    ) -> [String] {
        let txid = channel["contract_txid"] as? String ?? "?"
        guard let state = channel["state"] as? String, state == "settled" else {
            return ["channel \(txid): the server left it \(channel["state"] ?? "?") after the final close"]
        }
        guard let contract = Hash256(displayHex: txid), let value = channel["channel_value"] as? Int,
            let paidToServer = channel["paid_to_server"] as? Int
        else { return ["channel \(txid): unreadable server record \(channel)"] }
        let settlements = transactions.filter {
            $0.inputs.contains { $0.previousOutput == OutPoint(txid: contract, index: 0) }
        }
        guard !settlements.isEmpty else { return ["channel \(txid): no settlement in the transaction log"] }
        guard settlements.contains(where: { $0.txid.displayHex == channel["settlement_txid"] as? String }) else {
            return ["channel \(txid): the stored settlement is not in the transaction log"]
        }
        guard let signedLeft = client[txid]?["value_left"] as? Int else {
            return ["channel \(txid): settled by the server but never stored by the client"]
        }
        let acked = Int(ledger.acknowledged[txid] ?? 0)
        var problems: [String] = []
        for settlement in settlements {
            let toServer = settlement.outputs.filter { $0.scriptPubKey == payout }.map { Int($0.value.satoshis) }
                .reduce(0, +)
            let clientChange = settlement.outputs.filter { $0.scriptPubKey != payout }.map { Int($0.value.satoshis) }
                .reduce(0, +)
            // The server pays the fee from its share: its share is what the client gave up.
            let serverShare = value - clientChange
            let id = "channel \(txid), settlement \(settlement.txid.displayHex)"
            if settlement.inputs.count != 1 { problems.append("\(id): \(settlement.inputs.count) inputs") }
            if serverShare < acked { problems.append("\(id): the server got \(serverShare) < \(acked) acknowledged") }
            if clientChange < signedLeft {
                problems.append("\(id): the client keeps \(clientChange) < \(signedLeft) its last signature left it")
            }
            if serverShare != paidToServer {
                problems.append("\(id): takes \(serverShare) from the client, the server recorded \(paidToServer)")
            }
            if toServer <= 0 || toServer > serverShare {
                problems.append("\(id): pays the server \(toServer) of its share \(serverShare)")
            }
        }
        return problems
    }
}
