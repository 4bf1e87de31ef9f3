import ArgumentParser
import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine

/// `paychan channels`: lists the channels stored in a directory, both roles.
struct ChannelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "channels",
        abstract: "List the channels stored in a server's or client's directory, or in PostgreSQL (both roles).")

    @Option(name: .long, help: "The directory of a `paychan server` or `paychan client` (its channels.sqlite).")
    var dir: String?

    @Option(
        name: .long,
        help: ArgumentHelp("The PostgreSQL store of `paychan server --store URL` instead.", valueName: "url"))
    var store: String?

    @Flag(name: .long, help: "Print one JSON document instead of a table.")
    var json = false

    func run() async throws {
        guard (dir == nil) != (store == nil) else { throw CommandFailure("give either --dir or --store") }
        let opened = try await OpenedStore.open(
            storeOption: store, directory: dir.map(DataDirectory.init), clock: SystemClock(), existing: true,
            readOnly: true)
        let listing: ChannelListing
        do {
            listing = ChannelListing(
                server: try await opened.store.serverChannels(in: Set(ServerChannelRecord.State.allCases)),
                client: try await opened.store.clientChannels(
                    serverID: nil, in: Set(ClientChannelRecord.State.allCases)))
            await opened.close()
        } catch {
            await opened.close()
            throw CommandFailure("cannot read \(opened.name): \(error)")
        }
        if json {
            try printJSON(listing)
            return
        }
        if listing.server.isEmpty && listing.client.isEmpty { print("no channels in \(dir ?? opened.name)") }
        for channel in listing.server {
            print(
                "server  \(channel.contractTxid)  \(channel.state)  v\(channel.protocolVersion)  value \(channel.channelValue)"
                    + "  paid \(channel.paidToServer)  expiry \(channel.expiry)")
        }
        for channel in listing.client {
            print(
                "client  \(channel.contractTxid)  \(channel.state)  v\(channel.protocolVersion)  value \(channel.channelValue)"
                    + "  left \(channel.valueLeft)  expiry \(channel.expiry)  server \(channel.serverID)")
        }
    }
}

/// What `paychan channels --json` prints.
struct ChannelListing: Encodable {
    struct Server: Encodable {
        let contractTxid: String
        let state: String
        let protocolVersion: Int
        let channelValue: Int64
        let paidToServer: Int64
        let expiry: UInt64
        let settlementTxid: String?

        enum CodingKeys: String, CodingKey {
            case contractTxid = "contract_txid"
            case state
            case protocolVersion = "protocol"
            case channelValue = "channel_value"
            case paidToServer = "paid_to_server"
            case expiry
            case settlementTxid = "settlement_txid"
        }
    }

    struct Client: Encodable {
        let contractTxid: String
        let serverID: String
        let state: String
        let protocolVersion: Int
        let channelValue: Int64
        let valueLeft: Int64
        let expiry: UInt64
        let refundTxid: String
        let settlementTxid: String?

        enum CodingKeys: String, CodingKey {
            case contractTxid = "contract_txid"
            case serverID = "server_id"
            case state
            case protocolVersion = "protocol"
            case channelValue = "channel_value"
            case valueLeft = "value_left"
            case expiry
            case refundTxid = "refund_txid"
            case settlementTxid = "settlement_txid"
        }
    }

    let server: [Server]
    let client: [Client]

    init(server: [ServerChannelRecord], client: [ClientChannelRecord]) {
        self.server = server.map {
            Server(
                contractTxid: $0.contractTxid.displayHex, state: $0.state.rawValue,
                protocolVersion: Int($0.version.rawValue), channelValue: $0.channelValue.satoshis,
                paidToServer: $0.bestValueToServer.satoshis, expiry: $0.expiry,
                settlementTxid: $0.settlement?.txid.displayHex)
        }
        self.client = client.map {
            Client(
                contractTxid: $0.contractTxid.displayHex, serverID: $0.serverID, state: $0.state.rawValue,
                protocolVersion: Int($0.version.rawValue), channelValue: $0.channelValue.satoshis,
                valueLeft: $0.valueLeft.satoshis, expiry: $0.expiry, refundTxid: $0.refund.txid.displayHex,
                settlementTxid: $0.settlement?.txid.displayHex)
        }
    }
}
