import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import PaychanBitcoinCore
import Testing

/// A channel's life on a regtest node through the managers (in process, joined by a pipe): the
/// client's seed wallet funded from a mined coin, the contract broadcast through the node, 100
/// payments, the settlement broadcast and mined. Counts the RPC requests each step costs: the
/// payments must cost none.
enum PaymentScenario {
    static let name = "payments"

    /// RPC requests per step, and timings (live only).
    struct Costs {
        var open = 0
        var payments = 0
        var close = 0
        var openTime = Duration.zero
        var paymentsTime = Duration.zero
        var closeTime = Duration.zero
    }

    static func run(_ node: RecordedNode) async throws {
        let costs = try await measure(node)
        print(
            "payments scenario: RPC requests: open \(costs.open), 100 payments \(costs.payments), close \(costs.close); times: open \(costs.openTime), 100 payments \(costs.paymentsTime), close \(costs.closeTime)"
        )
    }

    static func measure(_ node: RecordedNode) async throws -> Costs {
        let chain = node.chain()
        let coins = try RegtestCoins(rpc: node.rpc)
        try await coins.mine(101)

        // A fixed clock: the contract's expiry, and so every transaction, is the same each run.
        let clock = ManualClock(now: 1_750_000_000)
        let serverKeychain = try ChannelKeychain(seed: [UInt8](repeating: 0x51, count: 32))
        let clientKeychain = try ChannelKeychain(seed: [UInt8](repeating: 0xC1, count: 32))
        let payout = Script.p2wpkh(publicKey: try serverKeychain.key(.walletReceive, index: 0).publicKey)
        let server = try ServerManager(
            config: ServerManagerConfig(channel: ServerChannelConfig(payoutScript: payout)),
            store: InMemoryChannelStore(clock: clock), chain: chain, keychain: serverKeychain, clock: clock)
        let clientStore = InMemoryChannelStore(clock: clock)
        let wallet = try await SeedWallet(keychain: clientKeychain, store: clientStore, chain: chain)
        var channel = ClientChannelConfig(channelValue: .zero, versionSelector: .v2)
        channel.timeWindow = 24 * 3600
        let client = ClientManager(
            config: ClientManagerConfig(channel: channel), store: clientStore, chain: chain, funder: wallet,
            keychain: clientKeychain, clock: clock)

        // Fund the wallet: a coinbase paid to its first address, mined.
        let funding = try coins.spend(
            try await coins.coinbase(atHeight: 1), fee: 2_000, to: try await wallet.receiveScript())
        try await chain.broadcast(funding)
        try await coins.mine(1)
        try await wallet.receive(funding)
        try await server.start()
        try await client.start()

        var costs = Costs()
        let pipe = InMemoryPipe()
        let serverSession = try await server.accept(pipe.serverEnd)
        pipe.serverEnd.attach(serverSession.receive, closed: serverSession.connectionClosed)
        let session = try client.connect(serverID: "regtest", connection: pipe.clientEnd)
        pipe.clientEnd.attach(session.receive, closed: session.connectionClosed)

        let timer = ContinuousClock()
        var before = node.rpc.requestsSent
        var started = timer.now
        let opened = try await session.open(value: try Amount(satoshis: 1_000_000))
        costs.openTime = timer.now - started
        costs.open = node.rpc.requestsSent - before
        #expect(try await chain.status(of: opened.contractTxid) == .inMempool)

        before = node.rpc.requestsSent
        started = timer.now
        for _ in 0..<100 { _ = try await session.pay(try Amount(satoshis: 1_000)) }
        costs.paymentsTime = timer.now - started
        costs.payments = node.rpc.requestsSent - before
        #expect(costs.payments == 0, "payments made \(costs.payments) RPC requests")

        let signedAway = try #require(session.record?.paidToServer.satoshis)
        before = node.rpc.requestsSent
        started = timer.now
        let settlement = try #require(try await session.close())
        costs.closeTime = timer.now - started
        costs.close = node.rpc.requestsSent - before
        #expect(try await chain.status(of: settlement.txid) == .inMempool)
        try await coins.mine(1)
        #expect(try await chain.status(of: settlement.txid) == .confirmed(confirmations: 1))
        // The contract's only output is spent: without a block index the node cannot tell.
        #expect(try await chain.status(of: opened.contractTxid) == .unknown)
        let paid = settlement.outputs.filter { $0.scriptPubKey == payout }.map(\.value.satoshis).reduce(0, +)
        // The server pays the settlement's fee from its share (the contract's value less the outputs).
        let fee = opened.value.satoshis - settlement.outputs.map(\.value.satoshis).reduce(0, +)
        #expect(fee > 0 && paid + fee == signedAway, "paid \(paid), fee \(fee), signed away \(signedAway)")
        #expect(signedAway >= 100 * 1_000)
        await client.shutdown()
        await server.shutdown()
        return costs
    }
}
