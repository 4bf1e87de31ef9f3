import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Foundation

/// Both stores' channels as one JSON line, with what could be done with each channel now: a
/// server channel is settleable when a settlement (rebuilt from the record, or the stored one)
/// passes the script verifier against the contract's output 0; a client channel is refundable
/// when its stored refund does, with its lock time at the expiry.
struct StoreReport: Codable {
    struct ServerChannel: Codable {
        var contract: String
        var state: String
        var channelValue: Int64
        var bestValueToServer: Int64
        var expiry: UInt64
        /// The settlement stored, or the one rebuilt for the check, serialized as hex.
        var settlement: String?
        var settleable: Bool
        /// What the settlement pays to the server's payout script, and its fee.
        var settlementToServer: Int64?
        var settlementFee: Int64?
        var problem: String?
    }

    struct ClientChannel: Codable {
        var contract: String
        var state: String
        var channelValue: Int64
        var valueLeft: Int64
        var paidToServer: Int64
        var expiry: UInt64
        var refundable: Bool
        var problem: String?
    }

    /// The client's wallet outputs marked spent by a transaction that is no stored channel's
    /// contract: the only transactions this wallet signs are contracts, and one never stored was
    /// never handed over, so it will never reach the chain and its inputs are spendable, but the
    /// wallet would not spend them.
    struct Wallet: Codable {
        var strandedOutputs: Int
        var strandedValue: Int64
    }

    var server: [ServerChannel]
    var client: [ClientChannel]
    var wallet: Wallet

    /// Reads both stores and checks every channel.
    static func read(_ rig: CrashRig) async throws -> StoreReport {
        let servers = try await rig.serverStore.serverChannels(in: Set(ServerChannelRecord.State.allCases))
        let clients = try await rig.clientStore.clientChannels(
            serverID: nil, in: Set(ClientChannelRecord.State.allCases))
        let contracts = Set(clients.map(\.contractTxid))
        let stranded = try await rig.clientStore.walletOutputs(unspentOnly: false).filter {
            guard let spender = $0.spentBy else { return false }
            return !contracts.contains(spender)
        }
        var serverReports: [ServerChannel] = []
        for record in servers { serverReports.append(await check(record, rig: rig)) }
        var clientReports: [ClientChannel] = []
        for record in clients { clientReports.append(await check(record)) }
        return StoreReport(
            server: serverReports, client: clientReports,
            wallet: Wallet(
                strandedOutputs: stranded.count, strandedValue: stranded.map(\.value.satoshis).reduce(0, +)))
    }

    /// The report as one line of JSON.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    private static func check(_ record: ServerChannelRecord, rig: CrashRig) async -> ServerChannel {
        var report = ServerChannel(
            contract: record.contractTxid.displayHex, state: record.state.rawValue,
            channelValue: record.channelValue.satoshis, bestValueToServer: record.bestValueToServer.satoshis,
            expiry: record.expiry, settlement: nil, settleable: false)
        let settlement: Transaction
        switch record.state {
        case .opening, .open:
            do {
                settlement = try rebuiltSettlement(record, rig: rig)
            } catch {
                report.problem = "no settlement: \(error)"
                return report
            }
        case .settling, .settled:
            guard let stored = record.settlement else {
                report.problem = "\(record.state) without a settlement"
                return report
            }
            settlement = stored
        case .failed:
            report.problem = "failed: the contract was refused"
            return report
        }
        report.settlement = settlement.serialized.hex
        guard let contractOutput = record.contract.outputs.first,
            let index = settlement.inputs.firstIndex(where: {
                $0.previousOutput == OutPoint(txid: record.contractTxid, index: 0)
            })
        else {
            report.problem = "the settlement does not spend the contract's output 0"
            return report
        }
        do {
            try ScriptVerifier.verify(transaction: settlement, inputIndex: index, spentOutput: contractOutput)
        } catch {
            report.problem = "the settlement does not verify: \(error)"
            return report
        }
        if let refusal = await refusal(of: settlement, after: record.contract, at: CrashRig.now) {
            report.problem = "a chain refuses the settlement: \(refusal)"
            return report
        }
        report.settleable = true
        let toServer = settlement.outputs.filter { $0.scriptPubKey == rig.payout }.map(\.value.satoshis).reduce(0, +)
        report.settlementToServer = toServer
        report.settlementFee = record.channelValue.satoshis - settlement.outputs.map(\.value.satoshis).reduce(0, +)
        return report
    }

    struct NoSettlement: Error, CustomStringConvertible {
        let description: String
    }

    /// The settlement the server could broadcast now: a machine restored from the record (as the
    /// manager does to settle without a connection) asked to settle. Nothing is stored.
    private static func rebuiltSettlement(_ stored: ServerChannelRecord, rig: CrashRig) throws -> Transaction {
        var record = stored
        record.state = .open
        let key = try rig.serverKeychain.key(.serverChannel, index: record.serverKeyIndex)
        var machine = try ChannelStateMachine.ServerChannel(
            config: rig.serverConfig.channel, restoring: record, key: key)
        for effect in machine.settle(now: CrashRig.now, notifyClient: false) {
            if case .broadcast(let transaction, .settlement) = effect { return transaction }
        }
        throw NoSettlement(description: "the restored machine built no settlement")
    }

    private static func check(_ record: ClientChannelRecord) async -> ClientChannel {
        var report = ClientChannel(
            contract: record.contractTxid.displayHex, state: record.state.rawValue,
            channelValue: record.channelValue.satoshis, valueLeft: record.valueLeft.satoshis,
            paidToServer: record.paidToServer.satoshis, expiry: record.expiry, refundable: false)
        guard let contractOutput = record.contract.outputs.first else {
            report.problem = "the contract has no output"
            return report
        }
        guard UInt64(record.refund.lockTime) == record.expiry else {
            report.problem = "refund lock time \(record.refund.lockTime) is not the expiry \(record.expiry)"
            return report
        }
        guard record.refund.inputs.first?.previousOutput == OutPoint(txid: record.contractTxid, index: 0) else {
            report.problem = "the refund does not spend the contract's output 0"
            return report
        }
        do {
            try ScriptVerifier.verify(transaction: record.refund, inputIndex: 0, spentOutput: contractOutput)
        } catch {
            report.problem = "the refund does not verify: \(error)"
            return report
        }
        if let refusal = await refusal(of: record.refund, after: record.contract, at: record.expiry + 1) {
            report.problem = "after the expiry, a chain refuses the refund: \(refusal)"
            return report
        }
        report.refundable = true
        return report
    }

    /// Why a new chain (accepting the contract's inputs unseen, judging lock times by a clock at
    /// `time`) refuses `transaction` once it has the contract, or nil when it accepts it: the
    /// chain checks the spend of the contract's output with the script verifier, the fee, dust
    /// and the lock time.
    private static func refusal(of transaction: Transaction, after contract: Transaction, at time: UInt64) async
        -> String?
    {
        let chain = MemoryChain(
            clock: ManualClock(now: time),
            configuration: MemoryChain.Configuration(acceptsUnknownInputs: true, lockTimeRule: .clock))
        do {
            try await chain.broadcast(contract)
            try await chain.broadcast(transaction)
            return nil
        } catch {
            return "\(error)"
        }
    }
}
