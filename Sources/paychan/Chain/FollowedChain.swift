import BitcoinPrimitives
import ChannelManager
import Logging
import PaychanBitcoinCore
import Synchronization

/// A command's chain and seed wallet, ready for the managers.
///
/// On the `memory` chain: the wallet over the in-process chain, as before. On `bitcoind`: a
/// ``ChainFollower`` of the node's best chain (its own RPC client, so that the backend's
/// request count shows only what the managers and the wallet ask), its index and cursor in the
/// directory's store, the seed wallet as its listener (coins received, the server's settlement
/// outputs, the client's change, settlement outputs and refunds); the node's backend answers
/// confirmed history from the follower's index; the managers broadcast through a
/// ``WatchingChain``, so their contracts, settlements and refunds are watched before they go.
final class FollowedChain: Sendable {
    /// What the managers use.
    let backend: any ChainBackend
    /// The wallet.
    let wallet: SeedWallet
    /// The follower, on `bitcoind`.
    let follower: ChainFollower?
    /// The opened chain.
    let connection: ChainConnection
    /// The follower's own client of the node.
    let followerRPC: BitcoinCoreRPC?
    private let logger: Logger
    private let polling = Mutex<Task<Void, Never>?>(nil)

    private init(
        backend: any ChainBackend, wallet: SeedWallet, follower: ChainFollower?, connection: ChainConnection,
        followerRPC: BitcoinCoreRPC?, logger: Logger
    ) {
        self.backend = backend
        self.wallet = wallet
        self.follower = follower
        self.connection = connection
        self.followerRPC = followerRPC
        self.logger = logger
    }

    /// Sets up the wallet of `store` on `connection` (the follower not polled yet: see
    /// ``catchUp()``). On `bitcoind`, a first start may scan the UTXO set (``FollowStart``).
    /// - Throws: exit status 2 when the node cannot be reached, 1 otherwise.
    static func open(
        _ connection: ChainConnection, store: any ChannelStore, keychain: ChannelKeychain, options: FollowOptions,
        logger: Logger
    ) async throws(CommandFailure) -> FollowedChain {
        let options = try options.validated()
        let configuration = WalletConfiguration(minimumConfirmations: options.minConfirmations)
        guard let node = connection.node else {
            let wallet = try await openWallet(keychain, store, connection.backend, configuration)
            return FollowedChain(
                backend: connection.backend, wallet: wallet, follower: nil, connection: connection, followerRPC: nil,
                logger: logger)
        }
        let wallet = try await openWallet(keychain, store, node, configuration)
        let rpc: BitcoinCoreRPC
        do { rpc = try BitcoinCoreRPC(configuration: node.rpc.configuration) } catch {
            throw CommandFailure("bitcoind: \(error)")
        }
        do throws(CommandFailure) {
            let source = BitcoinCoreBlockSource(rpc: rpc)
            let birthday = try await FollowStart.birthday(
                requested: options.birthday, store: store, wallet: wallet, node: node, source: source, logger: logger)
            let follower: ChainFollower
            do {
                follower = try await ChainFollower(
                    source: source, store: store, broadcaster: node, birthday: birthday,
                    logger: Logger(label: "paychan.chain"))
            } catch {
                throw CommandFailure("cannot read the chain index: \(error)")
            }
            follower.add(wallet)
            node.attach(history: follower)
            await watchStoredContracts(store, follower, logger: logger)
            return FollowedChain(
                backend: WatchingChain(backend: node, follower: follower), wallet: wallet, follower: follower,
                connection: connection, followerRPC: rpc, logger: logger)
        } catch {
            await rpc.shutdown()
            throw error
        }
    }

    /// Watches the contract (as ours, and its output 0) of every stored channel whose contract
    /// may still be spent, when the index does not already: a process that stopped between a
    /// channel's open and its own broadcast of the contract (which watches it) has not. A
    /// failure is logged (a store another process owns is read-only; that process watches).
    private static func watchStoredContracts(_ store: any ChannelStore, _ follower: ChainFollower, logger: Logger)
        async
    {
        do {
            let client = try await store.clientChannels(serverID: nil, in: [.opening, .open, .refused]).map(\.contract)
            let server = try await store.serverChannels(in: [.opening, .open, .settling]).map(\.contract)
            let index = follower.index
            let missing = (client + server).filter { index.transactions[$0.txid]?.ownTransaction == nil }
            try await follower.watch(
                missing.flatMap { [.ownTransaction($0), .outpoint(OutPoint(txid: $0.txid, index: 0))] })
        } catch {
            logger.warning("cannot watch the stored channels' contracts: \(error)")
        }
    }

    private static func openWallet(
        _ keychain: ChannelKeychain, _ store: any ChannelStore, _ chain: any ChainMonitor & FeeEstimator,
        _ configuration: WalletConfiguration
    ) async throws(CommandFailure) -> SeedWallet {
        do throws(FundingError) {
            return try await SeedWallet(keychain: keychain, store: store, chain: chain, configuration: configuration)
        } catch {
            throw CommandFailure("wallet: \(error.message)", exitCode: error.kind == .unavailable ? 2 : 1)
        }
    }

    /// Brings the follower to the node's tip (nothing on `memory`).
    /// - Throws: exit status 2 when the node cannot be reached or its blocks cannot be read.
    func catchUp() async throws(CommandFailure) {
        guard let follower else { return }
        do {
            let progress = try await follower.poll()
            logger.info(
                "chain: at \(progress.cursor?.description ?? "no block yet") (+\(progress.connected) -\(progress.disconnected) blocks)"
            )
        } catch {
            throw CommandFailure("cannot follow the node's chain: \(error)", exitCode: 2)
        }
    }

    /// Follows the chain every `interval` in a task of its own until ``close()`` (nothing on
    /// `memory`).
    func startPolling(every interval: Duration) {
        guard let follower else { return }
        let task = Task { await follower.run(every: interval) }
        polling.withLock { $0 = task }
    }

    /// HTTP requests sent to the node so far: by the backend (the managers and the wallet) and
    /// by the follower.
    var requestsSent: (backend: Int, follower: Int) {
        (connection.node?.rpc.requestsSent ?? 0, followerRPC?.requestsSent ?? 0)
    }

    /// Stops the polling (waiting for a poll under way) and closes the node's connections.
    func close() async {
        if let task = polling.withLock({ $0 }) {
            task.cancel()
            await task.value
        }
        await followerRPC?.shutdown()
        await connection.close()
    }
}
