import ArgumentParser
import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import ChannelTCP
import Foundation
import Logging

/// `paychan server`: a long-running channel server.
struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Run a payment channel server (bitcoinj-compatible) until SIGTERM or Ctrl-C.",
        discussion: """
            Accepts channels over TCP, stores them in DIR/channels.sqlite, or in PostgreSQL with \
            --store (keys from DIR/seed, created with mode 0600 when absent), logs one line per channel event, and settles \
            every channel two hours before its refund unlocks. SIGTERM or Ctrl-C stops it \
            without settling: open channels stay stored and clients can reopen them. Its share \
            of every settlement goes to P2WPKH of its first wallet key (printed at start).
            """)

    @Option(name: .long, help: "Address to listen on, HOST:PORT (port 0 picks a free port).")
    var listen: String

    @Option(name: .long, help: "Directory for the channel store and seed (created when absent).")
    var dir: String

    @OptionGroup(title: "Chain")
    var chainOptions: ChainOptions

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Keep channels in PostgreSQL instead of DIR/channels.sqlite: postgres://USER[:PASSWORD]@HOST:PORT/DB[?schema=NAME].",
            valueName: "url"))
    var store: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "This node's name in the channel claims of a --store shared by several servers (default HOST:PID).",
            valueName: "id"))
    var nodeID: String?

    @Option(
        name: .long,
        help:
            "Seconds a claim on a channel lasts without a heartbeat (--store: a dead node's channels are taken over after it)."
    )
    var claimLease: UInt64 = 6

    @OptionGroup(title: "Chain following (bitcoind)")
    var followOptions: FollowOptions

    @OptionGroup(title: "Channel terms")
    var terms: ChannelTermsOptions

    @Option(name: .long, help: "Smallest channel accepted, in satoshis.")
    var minChannel: Int64 = 100_000

    @Option(name: .long, help: "Smallest total payment, in satoshis (bitcoinj clients accept at most 1000).")
    var minPayment: Int64 = 1_000

    @Option(name: .long, help: "Append the hex of every broadcast transaction to this file, one per line.")
    var txLog: String?

    @Option(name: .long, help: "Seconds a connection has to open (or reopen) a channel before it is closed.")
    var handshakeTimeout: Double = 60

    @Option(name: .long, help: "Seconds a connection with an open channel may stay silent before it is closed.")
    var idleTimeout: Double = 600

    @Option(name: .long, help: "Connections beyond this many open ones are closed when accepted (mind `ulimit -n`).")
    var maxConnections: Int = 20_000

    @OptionGroup(title: "TLS")
    var tlsOptions: ServerTLSOptions

    @OptionGroup(title: "Operations")
    var observability: ObservabilityOptions

    @OptionGroup(title: "Shutdown")
    var shutdown: ShutdownOptions

    func run() async throws {
        do throws(CommandFailure) {
            try await serve()
        } catch {
            FileHandle.standardError.write(Data("paychan server: \(error.description)\n".utf8))
            throw ExitCode(error.exitCode)
        }
    }

    private func serve() async throws(CommandFailure) {
        let export = try observability.bootstrap()
        let grace = try shutdown.grace()
        // From here on SIGTERM and SIGINT stop the server in order (once it runs).
        let signals = ShutdownSignals(deadline: grace + .seconds(2))
        let network = try chainOptions.validatedNetwork()
        _ = try chainOptions.kind()
        let address = try HostPort(listen, option: "--listen")
        let minChannel = try amount(minChannel, "--min-channel")
        let minPayment = try amount(minPayment, "--min-payment")
        for (option, seconds) in [("--handshake-timeout", handshakeTimeout), ("--idle-timeout", idleTimeout)] {
            guard (0.001...1e9).contains(seconds) else {
                throw CommandFailure("\(option) must be between 0.001 and 1e9 seconds, not \(seconds)")
            }
        }
        guard maxConnections > 0 else { throw CommandFailure("--max-connections must be positive") }
        guard (2...3_600).contains(claimLease) else {
            throw CommandFailure("--claim-lease must be between 2 and 3600 seconds, not \(claimLease)")
        }
        let tls = try tlsOptions.configuration()
        let nodeID = try NodeIdentity.resolve(nodeID)
        let directory = DataDirectory(path: dir)
        try directory.create()
        let clock = SystemClock()
        let opened = try await OpenedStore.open(
            storeOption: store, directory: directory, clock: clock, connectionName: "paychan-\(nodeID)")
        let store = opened.store
        let server = ChannelTCPServer()
        let operations: OperationsHTTPServer?
        do throws(CommandFailure) {
            operations = try await ServerHealth.startEndpoint(
                observability, export: export, listener: server, store: store)
        } catch {
            await opened.close()
            throw error
        }
        let keychain = try directory.keychain()
        let payout = try ServerPayout.script(keychain)
        let log = try txLog.map { path throws(CommandFailure) in try TransactionLog(path: path) }
        let config = ServerManagerConfig(
            channel: try terms.terms(payoutScript: payout, minChannelValue: minChannel, minPayment: minPayment),
            eventHandler: { event in
                if case .broadcast(let tx, _, true) = event { log?.append(tx) }
            })
        let logger = Logger(label: "paychan.server")
        _ = try followOptions.validated()
        let connection: ChainConnection
        do throws(CommandFailure) {
            connection = try await chainOptions.open(clock: clock, logger: logger)
        } catch {
            await operations?.stop()
            await opened.close()
            throw error
        }
        let chain: FollowedChain
        do throws(CommandFailure) {
            chain = try await FollowedChain.open(
                connection, store: store, keychain: keychain, options: followOptions, logger: logger)
            try await chain.catchUp()
        } catch {
            await connection.close()
            await operations?.stop()
            await opened.close()
            throw error
        }
        chain.startPolling(every: chainOptions.pollInterval)
        let claims = opened.claims(nodeID: nodeID, leaseSeconds: claimLease)
        let manager: ServerManager
        do {
            manager = try ServerManager(
                config: config, store: store, chain: MeteredChainBackend(chain.backend), keychain: keychain,
                claims: claims.claims)
            try await manager.start()
        } catch {
            await chain.close()
            await operations?.stop()
            await opened.close()
            throw CommandFailure("cannot start: \(error)")
        }
        let limits = ChannelTCPServer.Configuration(
            handshakeTimeout: .seconds(handshakeTimeout), idleTimeout: .seconds(idleTimeout),
            maxConnections: maxConnections, tls: tls)
        do {
            try await server.start(
                host: address.host, port: address.port, serverManager: manager, configuration: limits)
        } catch {
            await manager.shutdown()
            claims.close()
            await chain.close()
            await operations?.stop()
            await opened.close()
            throw CommandFailure("cannot listen on \(address): \(error)")
        }
        let payoutAddress = (try? Address(scriptPubKey: payout, network: network))?.description ?? payout.bytes.hex
        let port = server.port.map(String.init) ?? "?"
        logger.info(
            "listening on \(address.host):\(port), directory \(dir), store \(opened.name), node \(nodeID), payout \(payoutAddress)"
        )
        if let tls {
            logger.info("TLS on; clients may pin --tls-pin \(Data(tls.publicKeySHA256).base64EncodedString())")
        }
        FileHandle.standardOutput.write(Data("listening on \(address.host):\(port)\n".utf8))
        if let operations {
            FileHandle.standardOutput.write(Data("metrics on \(address.host):\(operations.port)\n".utf8))
        }
        try await ServerLifecycle(
            listener: server, manager: manager, closeClaims: claims.close, chain: chain, store: opened,
            operations: operations, signals: signals, logger: logger
        ).run(grace: grace)
    }

    private func amount(_ value: Int64, _ option: String) throws(CommandFailure) -> Amount {
        guard let amount = try? Amount(satoshis: value), amount > .zero else {
            throw CommandFailure("\(option) must be a positive number of satoshis, not \(value)")
        }
        return amount
    }
}
