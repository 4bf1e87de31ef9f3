import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import ChannelTCP
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

extension ChannelTCPSuite {
    /// Both sides on SQLite files committing on their side's one event loop
    /// (`SQLiteChannelStore.Committer.eventLoop`), the client paying from its loop
    /// (``EventLoopTaskExecutor``): what the bench's TCP figures run.
    @Suite("SQLite stores committing on their event loops, payments made from the client's loop")
    struct EventLoopCommitTests {
        static let sats = TCPTestbed.sats
        static let sequentialPayments = 200
        static let concurrentSessions = 3
        static let concurrentPayments = 50

        @Test("every acknowledged payment is in the server's file, sequential and concurrent, paid on the loop")
        func acknowledgedIsDurable() async throws {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("paychan-tcp-loop-\(UUID().uuidString)", isDirectory: true)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let serverPath = directory.appendingPathComponent("server.sqlite").path
            let clientPath = directory.appendingPathComponent("client.sqlite").path

            let serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let serverLoop = serverGroup.next()
            let clientLoop = clientGroup.next()
            let bed = try await LoopBed(
                serverPath: serverPath, clientPath: clientPath, serverLoop: serverLoop, clientLoop: clientLoop,
                coins: 1 + Self.concurrentSessions)

            // Each store's commits, and the callbacks after them, run on its side's loop. The
            // write is enqueued from the loop itself, so its run (scheduled on the same loop)
            // cannot finish before the callback is registered.
            for (store, loop) in [(bed.serverStore, serverLoop), (bed.clientStore, clientLoop)] {
                let onLoop = try await withCheckedThrowingContinuation { continuation in
                    loop.execute {
                        let immediate = store.notifyWhenDurable(store.enqueue([])) { result in
                            continuation.resume(with: result.map { loop.inEventLoop })
                        }
                        if let immediate { continuation.resume(with: immediate.map { false }) }
                    }
                }
                #expect(onLoop, "a commit ran off its store's loop")
            }

            let executor = EventLoopTaskExecutor(clientLoop)
            let main = try await bed.connect(serverID: "loop-main")
            let opened = try await main.open(value: Self.sats(1_000_000))
            let openingPayment = 1_000_000 - opened.valueLeft.satoshis
            var sessions: [(ClientSession, Hash256)] = []
            for index in 0..<Self.concurrentSessions {
                let session = try await bed.connect(serverID: "loop-\(index)")
                let opened = try await session.open(value: Self.sats(500_000))
                sessions.append((session, opened.contractTxid))
            }

            // A second store on the server's file, with a connection and a queue of its own: its
            // reads wait for none of the server's writes, so they see only what is committed.
            let observer = try SQLiteChannelStore(path: serverPath)
            /// Pays `count` times `amount` on `session`, checking after each acknowledgement that
            /// the server's file holds the total; returns the total and whether every step ran
            /// on the client's loop.
            @Sendable func pay(_ session: ClientSession, _ contract: Hash256, count: Int, amount: Int64, from: Int64)
                async throws -> (total: Int64, onLoop: Bool, mismatches: [String])
            {
                var total = from
                var onLoop = clientLoop.inEventLoop
                var mismatches: [String] = []
                for index in 0..<count {
                    let receipt = try await session.pay(Self.sats(amount))
                    onLoop = onLoop && clientLoop.inEventLoop
                    total += amount
                    let stored = try await observer.serverChannel(contractTxid: contract)?.bestValueToServer
                    onLoop = onLoop && clientLoop.inEventLoop
                    if stored?.satoshis != total {
                        mismatches.append(
                            "payment \(index): acknowledged \(total), stored \(String(describing: stored))")
                    }
                    if receipt.amount != Self.sats(amount) { mismatches.append("payment \(index): receipt \(receipt)") }
                }
                return (total, onLoop, mismatches)
            }

            let concurrent = sessions.map { session, contract in
                Task(executorPreference: executor) {
                    try await pay(
                        session, contract, count: Self.concurrentPayments, amount: 1_000,
                        from: 500_000 - (session.record?.valueLeft.satoshis ?? 0))
                }
            }
            let sequential = try await Task(executorPreference: executor) {
                try await pay(
                    main, opened.contractTxid, count: Self.sequentialPayments, amount: 100, from: openingPayment)
            }.value
            var expected: [Hash256: Int64] = [opened.contractTxid: sequential.total]
            #expect(sequential.onLoop, "the sequential payments ran off the client's loop")
            #expect(sequential.mismatches == [])
            #expect(sequential.total == openingPayment + Int64(Self.sequentialPayments) * 100)
            for (task, (session, contract)) in zip(concurrent, sessions) {
                let result = try await task.value
                #expect(result.onLoop, "concurrent payments ran off the client's loop")
                #expect(result.mismatches == [])
                #expect(session.record?.valueLeft.satoshis == 500_000 - result.total)
                expected[contract] = result.total
            }
            #expect(main.record?.valueLeft.satoshis == 1_000_000 - sequential.total)
            let payments = Self.sequentialPayments + Self.concurrentSessions * Self.concurrentPayments
            let statistics = bed.serverStore.statistics
            print(
                "event-loop commits: \(payments) payments, server store \(statistics.commits) commits"
                    + " (largest batch \(statistics.largestBatch))")
            #expect(statistics.commits >= 1)

            // Stores closed before the groups shut down.
            observer.close()
            await bed.shutdown()
            try await clientGroup.shutdownGracefully()
            try await serverGroup.shutdownGracefully()

            let reopened = try SQLiteChannelStore(path: serverPath)
            defer { reopened.close() }
            for (contract, total) in expected {
                let record = try await reopened.serverChannel(contractTxid: contract)
                #expect(record?.bestValueToServer.satoshis == total)
            }
            let clientReopened = try SQLiteChannelStore(path: clientPath)
            defer { clientReopened.close() }
            let mainRecord = try await clientReopened.clientChannel(contractTxid: opened.contractTxid)
            #expect(mainRecord?.valueLeft.satoshis == 1_000_000 - sequential.total)
        }
    }
}

/// A server manager behind a ``ChannelTCPServer`` and a client manager, each on an SQLite file
/// committing on its side's event loop, the connections running on those loops.
private final class LoopBed: Sendable {
    let clock = ManualClock(now: TCPTestbed.start)
    let chain: MemoryChain
    let serverStore: SQLiteChannelStore
    let clientStore: SQLiteChannelStore
    let server: ServerManager
    let client: ClientManager
    let listener = ChannelTCPServer()
    let clientLoop: any EventLoop
    let port: Int

    init(
        serverPath: String, clientPath: String, serverLoop: any EventLoop, clientLoop: any EventLoop, coins: Int
    ) async throws {
        var quiet = Logger(label: "paychan.test")
        quiet.logLevel = .warning
        chain = MemoryChain(clock: clock)
        serverStore = try SQLiteChannelStore(path: serverPath, clock: clock, committer: .eventLoop(serverLoop))
        clientStore = try SQLiteChannelStore(path: clientPath, clock: clock, committer: .eventLoop(clientLoop))
        self.clientLoop = clientLoop
        let serverKeychain = try ChannelKeychain(seed: [UInt8](repeating: 0x53, count: 32))
        let clientKeychain = try ChannelKeychain(seed: [UInt8](repeating: 0xC3, count: 32))
        let payout = Script.p2wpkh(publicKey: try serverKeychain.key(.walletReceive, index: 0).publicKey)
        server = try ServerManager(
            config: ServerManagerConfig(channel: ServerChannelConfig(payoutScript: payout)),
            store: serverStore, chain: chain, keychain: serverKeychain, clock: clock, logger: quiet)
        let wallet = try await SeedWallet(keychain: clientKeychain, store: clientStore, chain: chain)
        var clientChannel = ClientChannelConfig(channelValue: .zero, versionSelector: .v2)
        clientChannel.timeWindow = 24 * 3600
        client = ClientManager(
            config: ClientManagerConfig(channel: clientChannel), store: clientStore, chain: chain, funder: wallet,
            keychain: clientKeychain, clock: clock, logger: quiet)
        let script = try await wallet.receiveScript()
        let funding = try chain.fund(
            outputs: Array(
                repeating: TransactionOutput(value: try Amount(satoshis: 10_000_000), scriptPubKey: script),
                count: coins))
        try await wallet.receive(funding)
        try await server.start()
        try await client.start()
        var tcp = ChannelTCPServer.Configuration(eventLoopGroup: serverLoop)
        tcp.logger.logLevel = .warning
        try await listener.start(host: TCPTestbed.host, port: 0, serverManager: server, configuration: tcp)
        port = listener.port ?? 0
    }

    /// A client session on a new connection running on the client's loop.
    func connect(serverID: String) async throws -> ClientSession {
        var configuration = ChannelTCPClient.Configuration(eventLoopGroup: clientLoop)
        configuration.logger.logLevel = .warning
        return try await ChannelTCPClient.connect(
            host: TCPTestbed.host, port: port, clientManager: client, serverID: serverID,
            configuration: configuration)
    }

    /// Stops the listener and the managers, then closes the stores.
    func shutdown() async {
        await listener.stop()
        await client.shutdown()
        await server.shutdown()
        clientStore.close()
        serverStore.close()
    }
}
