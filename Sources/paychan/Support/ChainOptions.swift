import ArgumentParser
import BitcoinPrimitives
import ChannelManager
import Foundation
import Logging
import PaychanBitcoinCore

/// The chain a command works on: the in-process `memory` chain (the default), or a Bitcoin
/// Core node over JSON-RPC. Shared by every command that touches the chain.
struct ChainOptions: ParsableArguments {
    @Option(
        name: .long,
        help: """
            Chain backend: `memory` (an in-process regtest chain that accepts contracts funded by \
            outputs it has never seen, but refuses double spends) or `bitcoind` (a Bitcoin Core \
            node over JSON-RPC, no -txindex needed).
            """)
    var chain: String = "memory"

    @Option(name: .long, help: "Network: regtest, signet, testnet or mainnet (the node must follow it).")
    var network: String = "regtest"

    @Option(
        name: .customLong("bitcoind-rpc"),
        help: "The node's RPC address, http://HOST:PORT (default 127.0.0.1 and the network's RPC port).")
    var bitcoindRPC: String?

    @Option(
        name: .customLong("bitcoind-cookie"),
        help: "The node's cookie file (default ~/.bitcoin/[testnet3/|signet/|regtest/].cookie).")
    var bitcoindCookie: String?

    @Option(name: .customLong("bitcoind-user"), help: "RPC user (with --bitcoind-password; instead of the cookie).")
    var bitcoindUser: String?

    @Option(name: .customLong("bitcoind-password"), help: "RPC password (with --bitcoind-user).")
    var bitcoindPassword: String?

    @Option(
        name: .customLong("fallback-fee-rate"),
        help: "Fee rate in sat/vB when the node has no estimate (regtest); never below the node's minimum.")
    var fallbackFeeRate: Double = 2

    @Option(
        name: .customLong("bitcoind-poll"),
        help: "Seconds between two looks at the node's best chain (the chain follower's poll).")
    var bitcoindPoll: Double = 10

    /// The chain follower's poll interval, --bitcoind-poll.
    var pollInterval: Duration { .milliseconds(Int64(bitcoindPoll * 1_000)) }

    @Option(
        name: .customLong("bitcoind-wait"),
        help: "Seconds to keep trying a node that cannot be reached at start before giving up (exit status 2).")
    var bitcoindWait: Double = 30

    /// The chosen backend kind.
    enum Kind {
        case memory
        case bitcoind
    }

    /// The chosen backend, checked.
    func kind() throws(CommandFailure) -> Kind {
        switch chain {
        case "memory": return .memory
        case "bitcoind": return .bitcoind
        default: throw CommandFailure("unknown chain backend \(chain): use memory or bitcoind")
        }
    }

    /// The chosen network, checked.
    func validatedNetwork() throws(CommandFailure) -> Network {
        guard let network = Network(rawValue: network) else {
            throw CommandFailure("unknown network \(network): use regtest, signet, testnet or mainnet")
        }
        return network
    }

    /// The node's RPC settings from the options (nothing is contacted).
    func rpcConfiguration(network: Network, logger: Logger) throws(CommandFailure) -> RPCConfiguration {
        let url = bitcoindRPC ?? "http://127.0.0.1:\(CoreChainName.defaultRPCPort(network))"
        let credentials: RPCCredentials
        switch (bitcoindCookie, bitcoindUser, bitcoindPassword) {
        case (nil, let user?, let password?):
            credentials = .userPassword(user: user, password: password)
        case (_, nil, nil):
            credentials = .cookieFile(bitcoindCookie ?? Self.defaultCookie(network))
        case (_?, _, _):
            throw CommandFailure("give either --bitcoind-cookie or --bitcoind-user and --bitcoind-password, not both")
        default:
            throw CommandFailure("--bitcoind-user and --bitcoind-password go together")
        }
        return RPCConfiguration(url: url, credentials: credentials, logger: logger)
    }

    /// Core's cookie file for `network` in its default data directory (`~/.bitcoin`).
    static func defaultCookie(_ network: Network) -> String {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        let base = home + "/.bitcoin"
        guard let subdirectory = CoreChainName.dataSubdirectory(network) else { return base + "/.cookie" }
        return base + "/" + subdirectory + "/.cookie"
    }

    /// Opens the chosen chain: a new memory chain, or the node (checked to follow the network,
    /// tried for up to --bitcoind-wait seconds while it cannot be reached). Following the node's
    /// chain (its --bitcoind-poll) is ``FollowedChain``'s.
    /// - Throws: exit status 1 for bad options, a wrong network or refused credentials; 2 when
    ///   the node cannot be reached.
    func open(clock: any ManagerClock, logger: Logger) async throws(CommandFailure) -> ChainConnection {
        let network = try validatedNetwork()
        switch try kind() {
        case .memory:
            return ChainConnection(network: network, memory: MemoryChain(clock: clock, acceptsUnknownInputs: true))
        case .bitcoind:
            guard fallbackFeeRate.isFinite, (0...1_000_000).contains(fallbackFeeRate) else {
                throw CommandFailure("--fallback-fee-rate must be between 0 and 1000000 sat/vB")
            }
            guard bitcoindWait.isFinite, (0...86_400).contains(bitcoindWait) else {
                throw CommandFailure("--bitcoind-wait must be between 0 and 86400 seconds")
            }
            guard bitcoindPoll.isFinite, (0.01...86_400).contains(bitcoindPoll) else {
                throw CommandFailure("--bitcoind-poll must be between 0.01 and 86400 seconds")
            }
            let fallback =
                (try? FeeRate(satoshisPerKilovirtualByte: Int64((fallbackFeeRate * 1_000).rounded()))) ?? .zero
            let rpc: BitcoinCoreRPC
            do {
                rpc = try BitcoinCoreRPC(configuration: try rpcConfiguration(network: network, logger: logger))
            } catch let error as RPCError {
                throw CommandFailure("--bitcoind-rpc: \(error)")
            } catch {
                throw error as? CommandFailure ?? CommandFailure("\(error)")
            }
            let node = BitcoinCoreChain(
                rpc: rpc, configuration: .init(network: network, fallbackFeeRate: fallback))
            do {
                let info = try await node.waitForNode(
                    timeout: .milliseconds(Int64(bitcoindWait * 1_000)), logger: logger)
                logger.info(
                    "bitcoind \(info.subversion) at \(rpc.configuration.url): chain \(info.chain), \(info.blocks) blocks"
                )
            } catch {
                await rpc.shutdown()
                switch error {
                case .unreachable: throw CommandFailure(error.description, exitCode: 2)
                case .unauthorized, .wrongNetwork: throw CommandFailure(error.description)
                }
            }
            return ChainConnection(network: network, node: node)
        }
    }
}

/// An opened chain: the backend the managers use, and what kind it is.
struct ChainConnection {
    /// The network.
    let network: Network
    /// The backend.
    let backend: any ChainBackend
    /// The in-process chain, when that is the backend.
    let memory: MemoryChain?
    /// The Bitcoin Core node, when that is the backend.
    let node: BitcoinCoreChain?
    init(network: Network, memory: MemoryChain) {
        self.network = network
        backend = memory
        self.memory = memory
        node = nil
    }

    init(network: Network, node: BitcoinCoreChain) {
        self.network = network
        backend = node
        memory = nil
        self.node = node
    }

    /// Closes the node's connections.
    func close() async {
        await node?.rpc.shutdown()
    }

}
