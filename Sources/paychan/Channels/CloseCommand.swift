import ArgumentParser
import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Foundation

/// `paychan close`: settles one stored server channel by hand (bitcoinj#1110).
struct CloseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "close",
        abstract: "Settle one stored server channel now, by hand.",
        discussion: """
            Builds the settlement from the best payment the client signed, signs it with the \
            channel's key (derived from the directory's seed), broadcasts it through the chain \
            backend and prints it. Run it while the server is stopped: a running server holds \
            its channels. Client channels cannot be closed this way: their server settles them, \
            or the client manager refunds them after expiry.
            """)

    @Option(name: .long, help: "The directory of a `paychan server` (its channels.sqlite and seed).")
    var dir: String

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The PostgreSQL store of `paychan server --store URL` (the seed stays in --dir).", valueName: "url"))
    var store: String?

    @Argument(help: "The channel: its contract txid, in hex as `paychan channels` prints it.")
    var channel: String

    @Option(
        name: .long,
        help: "The chain backend: `memory`, an in-process regtest chain that accepts the contract unseen.")
    var chain: String = "memory"

    @Option(name: .long, help: "Append the hex of every broadcast transaction to this file, one per line.")
    var txLog: String?

    @Flag(name: .long, help: "Print one JSON document.")
    var json = false

    func run() async throws {
        guard chain == "memory" else { throw CommandFailure("unknown chain backend \(chain); only `memory` exists") }
        guard let txid = Hash256(displayHex: channel) else {
            throw CommandFailure("\(channel) is not a 64-digit hex txid")
        }
        let directory = DataDirectory(path: dir)
        let clock = SystemClock()
        let opened = try await OpenedStore.open(storeOption: store, directory: directory, clock: clock, existing: true)
        let store = opened.store
        let keychain = try directory.keychain()
        let memoryChain = MemoryChain(clock: clock, acceptsUnknownInputs: true)
        let log = try txLog.map { path throws(CommandFailure) in try TransactionLog(path: path) }
        let config = ServerManagerConfig(
            channel: ServerChannelConfig(payoutScript: try ServerPayout.script(keychain)),
            eventHandler: { event in
                if case .broadcast(let tx, _, true) = event { log?.append(tx) }
            })
        let manager: ServerManager
        // On a store shared by server nodes, the channel is claimed like a node would (refused
        // while a running node holds it).
        let claims = opened.claims(nodeID: "close:" + (try NodeIdentity.resolve(nil)), leaseSeconds: 6)
        do {
            manager = try ServerManager(
                config: config, store: store, chain: memoryChain, keychain: keychain, claims: claims.claims)
        } catch {
            await opened.close()
            throw CommandFailure("\(error)")
        }
        let record: ServerChannelRecord
        do { record = try await manager.settle(contractTxid: txid) } catch {
            await manager.shutdown()
            claims.close()
            await opened.close()
            throw CommandFailure("cannot close \(channel): \(error)")
        }
        await manager.shutdown()
        claims.close()
        await opened.close()
        guard record.state == .settled, let settlement = record.settlement else {
            throw CommandFailure("channel \(channel) is \(record.state.rawValue); no settlement was broadcast")
        }
        if json {
            try printJSON(
                ClosedChannel(
                    contractTxid: txid.displayHex, settlementTxid: settlement.txid.displayHex,
                    hex: settlement.serialized.hex, paidToServer: record.bestValueToServer.satoshis))
        } else {
            print("channel \(txid.displayHex) settled by \(settlement.txid.displayHex)")
            print(settlement.serialized.hex)
        }
    }
}

/// What `paychan close --json` prints.
struct ClosedChannel: Encodable {
    let contractTxid: String
    let settlementTxid: String
    let hex: String
    let paidToServer: Int64

    enum CodingKeys: String, CodingKey {
        case contractTxid = "contract_txid"
        case settlementTxid = "settlement_txid"
        case hex
        case paidToServer = "paid_to_server"
    }
}
