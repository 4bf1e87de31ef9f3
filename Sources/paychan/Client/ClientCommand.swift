import ArgumentParser
import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import ChannelTCP
import Foundation
import Logging

/// `paychan client`: opens (or reopens) a channel to a server and pays.
struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Open (or reopen) a payment channel to a server and pay over it.",
        discussion: """
            Keeps its channels in DIR/channels.sqlite (keys from DIR/seed, created with mode 0600 \
            when absent). With a stored open channel to the same server that has money left, \
            it reopens that channel instead of funding a new one. --server may list several \
            addresses of one server (its nodes, a load balancer in front of them): they are tried \
            in turn, each once, moving on when one cannot be reached, closes the connection before \
            the channel is open or does not answer within --reply-timeout. The channel is stored \
            under --server-id, by default the --server text exactly as given, so it is reopened \
            through any of the addresses as long as that name stays the same. With --tls the server \
            must complete a verified TLS handshake (never plain TCP) and the channel is stored under \
            that name plus the verified identity (CA and server name, or the pin): it reopens only \
            over TLS with the same identity, and channels opened over plain TCP are not offered over \
            TLS (the client says so on standard error; they stay stored). Exit status: 0 on \
            success, 1 for bad arguments or local failures, 2 when no address can be reached or \
            answers within --reply-timeout, or fails TLS verification (--tls), 3 when the server refused the channel or a payment (its error code is printed), 4 when the \
            wallet or the channel holds too little money.
            """)

    @Option(
        name: .long,
        help: "The server, HOST:PORT, or several addresses of one server, HOST:PORT,HOST:PORT..., tried in turn.")
    var server: String

    @Option(
        name: .long,
        help: """
            The server's name in the channel store (stored channels are reopened by it). \
            Default: the --server text exactly as given.
            """)
    var serverID: String?

    @Option(name: .long, help: "Directory for the channel store and seed (created when absent).")
    var dir: String

    @Option(name: .long, help: "Value to lock into a new channel, in satoshis.")
    var channelValue: Int64

    @Option(name: .long, help: "Number of payments to make after the channel is open.")
    var payments: Int = 1

    @Option(name: .long, help: "Amount of each payment, in satoshis.")
    var amount: Int64

    @Option(name: .long, help: "Protocol: 1, 2, or 2-allow-1 (ask for 2, accept 1).")
    var `protocol`: String = "2"

    @Option(name: .long, help: "Text sent with every payment (UPDATE_PAYMENT.info).")
    var info: String?

    @Flag(name: .long, help: "Ask the server to settle the channel after the payments.")
    var close = false

    @OptionGroup(title: "Chain")
    var chainOptions: ChainOptions

    @OptionGroup(title: "Chain following (bitcoind) and the wallet")
    var followOptions: FollowOptions

    @Option(
        name: .long,
        help: """
            Where new contracts are funded from: `seed` (this client's wallet) or `node-wallet[=NAME]` \
            (the Bitcoin Core node's wallet, by PSBT; --chain bitcoind only).
            """)
    var funding: String = "seed"

    @Flag(
        name: .long,
        help: """
            Print one JSON document with the outcome: `protocol`, `channel_value`, `contract_txid`, \
            `reopened`, `run_acked_sats` (what the server acknowledged in this run: the initial \
            payment of a new channel and this run's payments), `channel_acked_sats` (the channel's \
            acknowledged total, reopened or not: the channel value less the change of the latest \
            acknowledged payment; null for a reopened channel with no payment in this run), \
            `channel_signed_sats` (all the channel's payments this client has signed, acknowledged \
            or not), `settlement` (null when not settled), and with --chain bitcoind `node` (timings and \
            request counts). Deprecated aliases, to be removed: \
            `paid_acked` = `run_acked_sats`, `paid_signed` = `channel_signed_sats`.
            """)
    var json = false

    @Option(
        name: .long,
        help: "Seconds the server has to answer each message (open, payment, close) before the client gives up.")
    var replyTimeout: Double = 60

    @OptionGroup(title: "TLS")
    var tlsOptions: ClientTLSOptions

    @Flag(
        name: .long,
        help: """
            Print one line on standard output, flushed at once, as each step completes: \
            `opened TXID VALUE ACKED` (a new channel; ACKED is what the server acknowledged so far), \
            `reopened TXID VALUE`, `paid TXID ACKED` per acknowledged payment (ACKED is the \
            channel's acknowledged total, as `channel_acked_sats` in --json), `closing TXID` and \
            `settled TXID SETTLEMENT-TXID`.
            """)
    var progress = false

    @OptionGroup(title: "Operations")
    var observability: ObservabilityOptions

    func run() async throws {
        do throws(CommandFailure) {
            try await pay()
        } catch {
            FileHandle.standardError.write(Data("paychan client: \(error.description)\n".utf8))
            throw ExitCode(error.exitCode)
        }
    }

    private func pay() async throws(CommandFailure) {
        let export = try observability.bootstrap()
        _ = try chainOptions.validatedNetwork()
        if try FundingChoice(funding) != .seed, try chainOptions.kind() != .bitcoind {
            throw CommandFailure("--funding \(funding) needs --chain bitcoind")
        }
        _ = try chainOptions.kind()
        _ = try followOptions.validated()
        let selector: VersionSelector
        switch `protocol` {
        case "1": selector = .v1
        case "2": selector = .v2
        case "2-allow-1": selector = .v2AllowV1
        default: throw CommandFailure("--protocol must be 1, 2 or 2-allow-1, not \(`protocol`)")
        }
        let addresses = try server.split(separator: ",", omittingEmptySubsequences: false).map {
            (text) throws(CommandFailure) -> ServerAddress in
            guard let address = try? HostPort(String(text), option: "--server") else {
                throw CommandFailure(
                    "--server must be HOST:PORT or several, HOST:PORT,HOST:PORT (for example 127.0.0.1:4242), not \(server)"
                )
            }
            return ServerAddress(host: address.host, port: address.port)
        }
        let identity = serverID ?? server
        guard !identity.isEmpty else { throw CommandFailure("--server-id must not be empty") }
        let tls = try tlsOptions.configuration()
        guard let value = try? Amount(satoshis: channelValue), value > .zero else {
            throw CommandFailure("--channel-value must be a positive number of satoshis")
        }
        guard let each = try? Amount(satoshis: amount), each > .zero else {
            throw CommandFailure("--amount must be a positive number of satoshis")
        }
        guard payments >= 0 else { throw CommandFailure("--payments must not be negative") }
        guard (0.001...1e9).contains(replyTimeout) else {
            throw CommandFailure("--reply-timeout must be between 0.001 and 1e9 seconds")
        }

        let directory = DataDirectory(path: dir)
        try directory.create()
        let clock = SystemClock()
        let store = try directory.openStore(clock: clock)
        defer { store.close() }
        let operations = try await ClientOperations.start(observability, export: export, store: store)
        defer { operations?.stopSoon() }
        let keychain = try directory.keychain()
        let logger = Logger(label: "paychan.client")
        let connection = try await chainOptions.open(clock: clock, logger: logger)
        let chain: FollowedChain
        do throws(CommandFailure) {
            chain = try await FollowedChain.open(
                connection, store: store, keychain: keychain, options: followOptions, logger: logger)
        } catch {
            await connection.close()
            throw error
        }
        do throws(CommandFailure) {
            // The wallet's coins are those of the chain up to its tip.
            try await chain.catchUp()
            chain.startPolling(every: chainOptions.pollInterval)
            try await pay(
                store: store, keychain: keychain, clock: clock, chain: chain, selector: selector,
                addresses: addresses, identity: identity, tls: tls, value: value, each: each)
        } catch {
            await chain.close()
            throw error
        }
        await chain.close()
    }

    private func pay(
        store: SQLiteChannelStore, keychain: ChannelKeychain, clock: SystemClock, chain: FollowedChain,
        selector: VersionSelector, addresses: [ServerAddress], identity: String, tls: ClientTLSConfiguration?,
        value: Amount, each: Amount
    ) async throws(CommandFailure) {
        let wallet = chain.wallet
        var channelConfig = ClientChannelConfig(channelValue: value, versionSelector: selector)
        channelConfig.timeWindow = 24 * 3600 - 60
        let manager = ClientManager(
            config: ClientManagerConfig(channel: channelConfig), store: store,
            chain: MeteredChainBackend(chain.backend),
            funder: try FundingChoice(funding).funder(seedWallet: wallet, chain: chain.connection),
            keychain: keychain, clock: clock)
        do { try await manager.start() } catch { throw CommandFailure("cannot start: \(error)") }
        // The memory chain funds the wallet from a coinbase; on a node the wallet has its coins.
        if let memory = chain.connection.memory { try await topUp(wallet, memory, for: value) }

        await noteChannelsNotOffered(manager: manager, identity: identity, tls: tls)
        let session: ClientSession
        let opened: OpenedChannel
        let openStarted = ContinuousClock.now
        do {
            let served = try await ChannelTCPClient.open(
                value: value, servers: addresses, serverID: identity, clientManager: manager,
                configuration: ChannelTCPClient.Configuration(replyTimeout: .seconds(replyTimeout), tls: tls))
            (session, opened) = (served.session, served.channel)
        } catch {
            switch error {
            case .noServerReachable(let attempts):
                let tried = attempts.map(\.description).joined(separator: "; ")
                let verify = attempts.contains { if case .tlsFailed = $0.error { true } else { false } }
                throw CommandFailure(
                    "cannot reach\(verify ? " or verify" : "") \(server) (each address tried once): \(tried)",
                    exitCode: 2)
            case .session(let sessionError): throw Self.failure(sessionError, doing: "open a channel")
            case .tlsConfiguration: throw CommandFailure("\(error)")
            default: throw CommandFailure("cannot open a channel: \(error)")
            }
        }
        let openTime = ContinuousClock.now - openStarted
        // This run's acknowledged amount, and the channel's acknowledged total (unknown on a
        // reopened channel until a payment of this run is acknowledged).
        var acked = opened.resumed ? Amount.zero : ((try? value.subtracting(opened.valueLeft)) ?? .zero)
        var channelAcked: Amount? = opened.resumed ? nil : acked
        let txid = opened.contractTxid.displayHex
        if opened.resumed {
            report("reopened \(txid) \(opened.value.satoshis)")
        } else {
            report("opened \(txid) \(opened.value.satoshis) \(acked.satoshis)")
        }
        let infoBytes = info.map { Array($0.utf8) }
        let requestsBefore = chain.requestsSent
        let paymentsStarted = ContinuousClock.now
        for _ in 0..<payments {
            do {
                let receipt = try await session.pay(each, info: infoBytes)
                acked = (try? acked.adding(receipt.amount)) ?? acked
                let total = (try? opened.value.subtracting(receipt.valueLeft)) ?? .zero
                channelAcked = total
                report("paid \(txid) \(total.satoshis)")
            } catch {
                throw Self.failure(error, doing: "pay")
            }
        }
        let paymentsTime = ContinuousClock.now - paymentsStarted
        let requestsAfter = chain.requestsSent
        let signedAway = session.record?.paidToServer ?? .zero
        var settlement: Transaction?
        if close {
            report("closing \(txid)")
            do { settlement = try await session.close() } catch { throw Self.failure(error, doing: "close") }
            if let settlement { report("settled \(txid) \(settlement.txid.displayHex)") }
        }
        let outcome = ClientOutcome(
            protocolVersion: Int(session.record?.version.rawValue ?? selector.requested.rawValue),
            channelValue: opened.value.satoshis, contractTxid: opened.contractTxid.displayHex, reopened: opened.resumed,
            runAckedSats: acked.satoshis, channelAckedSats: channelAcked?.satoshis,
            channelSignedSats: signedAway.satoshis,
            settlement: settlement.map { ClientOutcome.Settlement(txid: $0.txid.displayHex, hex: $0.serialized.hex) },
            node: chain.follower == nil
                ? nil
                : ClientOutcome.NodeFigures(
                    openSeconds: openTime.seconds, paymentsSeconds: paymentsTime.seconds,
                    backendRequestsDuringPayments: requestsAfter.backend - requestsBefore.backend,
                    followerRequestsDuringPayments: requestsAfter.follower - requestsBefore.follower))
        await manager.shutdown()
        if json {
            do { try printJSON(outcome) } catch { throw CommandFailure("cannot print JSON: \(error)") }
        } else {
            print("channel \(outcome.contractTxid) \(opened.resumed ? "reopened" : "opened"), value \(opened.value)")
            let channelTotal = channelAcked.map { "\($0)" } ?? "unknown"
            print(
                "paid \(acked) acknowledged in this run; the channel: \(channelTotal) acknowledged, "
                    + "\(signedAway) signed away in all")
            if let settlement { print("settled by \(settlement.txid.displayHex)") }
        }
    }

    /// Says on standard error when channels stored for this server were opened over another
    /// transport or TLS identity: they are not offered on this connection (a channel is only
    /// reopened the way it was opened), they stay stored and their refunds stay armed.
    private func noteChannelsNotOffered(manager: ClientManager, identity: String, tls: ClientTLSConfiguration?) async {
        let storeName = identity + (tls.map { ChannelTCPClient.tlsMarker + $0.identity } ?? "")
        guard let stored = try? await manager.channels(in: [.open, .opening]) else { return }
        let others = stored.filter {
            $0.serverID != storeName
                && ($0.serverID == identity || $0.serverID.hasPrefix(identity + ChannelTCPClient.tlsMarker))
        }
        guard !others.isEmpty else { return }
        let how = Set(others.map { $0.serverID == identity ? "plain TCP" : "another TLS identity" }).sorted()
        FileHandle.standardError.write(
            Data(
                ("paychan client: \(others.count) open channel(s) with \(identity) were opened over "
                    + "\(how.joined(separator: " and ")) and are not offered over this connection "
                    + "(a channel reopens only the way it was opened); they stay stored\n").utf8))
    }

    /// One `--progress` line, written at once (standard output is not buffered through here).
    private func report(_ line: String) {
        guard progress else { return }
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Funds the wallet from a regtest coinbase when it holds too little for `value` and fees.
    private func topUp(_ wallet: SeedWallet, _ chain: MemoryChain, for value: Amount) async throws(CommandFailure) {
        let margin = Amount(exactly: 100_000) ?? .zero
        let needed = (try? value.adding(margin)) ?? value
        let available: Amount
        do { available = try await wallet.balance().available } catch { throw CommandFailure("wallet: \(error)") }
        guard available < needed else { return }
        do { try await chain.fund(wallet, amount: needed) } catch {
            throw CommandFailure("cannot fund the wallet: \(error)", exitCode: 4)
        }
    }

    /// Maps a session failure to a message and exit status.
    static func failure(_ error: ClientSessionError, doing what: String) -> CommandFailure {
        switch error {
        case .ended(.remoteError(let code, let explanation)):
            return CommandFailure("the server refused to \(what): \(code) \(explanation)", exitCode: 3)
        case .ended(.localError(let channelError)) where channelError.code == .timeout:
            return CommandFailure("cannot \(what): \(channelError.explanation)", exitCode: 2)
        case .ended(.localError(let channelError)) where channelError.code == .channelValueTooLarge:
            return CommandFailure("cannot \(what): \(channelError.explanation)", exitCode: 4)
        case .ended(.localError(let channelError)) where channelError.explanation.contains("could not fund"):
            return CommandFailure("cannot \(what): \(channelError.explanation)", exitCode: 4)
        case .ended(.localError(let channelError)):
            return CommandFailure(
                "cannot \(what): we refused the server's \(channelError.code): \(channelError.explanation)", exitCode: 3
            )
        case .payment(.insufficientValue(let available)):
            return CommandFailure("cannot \(what): the channel has only \(available) left", exitCode: 4)
        case .ended(let reason):
            return CommandFailure("cannot \(what): the connection ended (\(reason))", exitCode: 2)
        default:
            return CommandFailure("cannot \(what): \(error)")
        }
    }
}

/// What `paychan client --json` prints.
struct ClientOutcome: Encodable {
    struct Settlement: Encodable {
        let txid: String
        let hex: String
    }

    let protocolVersion: Int
    let channelValue: Int64
    let contractTxid: String
    let reopened: Bool
    /// What the server acknowledged in this run.
    let runAckedSats: Int64
    /// The channel's acknowledged total; nil for a reopened channel with no payment in this run.
    let channelAckedSats: Int64?
    /// All the channel's payments the client has signed, acknowledged or not.
    let channelSignedSats: Int64
    let settlement: Settlement?
    /// With `--chain bitcoind`: what the channel's life cost on the node.
    let node: NodeFigures?

    /// Figures of a run on a node.
    struct NodeFigures: Encodable {
        /// From asking to open to the channel being open (the contract's funding and broadcast
        /// included), in seconds.
        let openSeconds: Double
        /// The payments, in seconds.
        let paymentsSeconds: Double
        /// HTTP requests the managers and the wallet sent to the node during the payments.
        let backendRequestsDuringPayments: Int
        /// HTTP requests the chain follower sent (on its own clock) during the payments.
        let followerRequestsDuringPayments: Int

        enum CodingKeys: String, CodingKey {
            case openSeconds = "open_seconds"
            case paymentsSeconds = "payments_seconds"
            case backendRequestsDuringPayments = "backend_requests_during_payments"
            case followerRequestsDuringPayments = "follower_requests_during_payments"
        }
    }

    enum CodingKeys: String, CodingKey {
        case protocolVersion = "protocol"
        case channelValue = "channel_value"
        case contractTxid = "contract_txid"
        case reopened
        case runAckedSats = "run_acked_sats"
        case channelAckedSats = "channel_acked_sats"
        case channelSignedSats = "channel_signed_sats"
        /// Deprecated aliases of `run_acked_sats` and `channel_signed_sats`.
        case paidAcked = "paid_acked"
        case paidSigned = "paid_signed"
        case settlement
        case node
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(protocolVersion, forKey: .protocolVersion)
        try container.encode(channelValue, forKey: .channelValue)
        try container.encode(contractTxid, forKey: .contractTxid)
        try container.encode(reopened, forKey: .reopened)
        try container.encode(runAckedSats, forKey: .runAckedSats)
        try container.encode(channelAckedSats, forKey: .channelAckedSats)  // null when unknown
        try container.encode(channelSignedSats, forKey: .channelSignedSats)
        try container.encode(runAckedSats, forKey: .paidAcked)
        try container.encode(channelSignedSats, forKey: .paidSigned)
        try container.encode(settlement, forKey: .settlement)  // null when absent
        try container.encodeIfPresent(node, forKey: .node)
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
