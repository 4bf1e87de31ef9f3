import BitcoinPrimitives
import ChannelStateMachine
import ChannelStoreConformance
import Testing

@testable import ChannelManager

/// What a starting server manager reads back to watch: settlements of channels whose expiry is
/// not long past, not every channel it ever settled.
@Suite struct SettledWatchTests {
    @Test("start watches settlements of channels expiring after now − settledWatchAfterExpiry only")
    func startSkipsLongExpiredSettlements() async throws {
        let now = StoreFixtures.baseTime + 30 * 86_400
        let clock = ManualClock(now: now)
        let store = InMemoryChannelStore(clock: clock)
        let window: UInt64 = 7 * 86_400
        var records: [ServerChannelRecord] = []
        for (seed, expiry) in [(70, now - window - 1), (71, now - window), (72, now - window + 1), (73, now + 86_400)] {
            var record = try StoreFixtures.server(seed, variant: 1)
            record.expiry = expiry
            records.append(record)
        }
        try await store.write(records.map { .server(.channel($0)) })
        let keychain = try ChannelKeychain(seed: [UInt8](repeating: 7, count: 32))
        let payout = Script.p2wpkh(publicKey: try keychain.key(.walletReceive, index: 0).publicKey)
        let config = ServerManagerConfig(
            channel: ServerChannelConfig(payoutScript: payout), settledWatchAfterExpiry: window)
        let server = try ServerManager(
            config: config, store: store, chain: MemoryChain(clock: clock), keychain: keychain, clock: clock)
        try await server.start()
        let watched = server.registry.withLock { Set($0.unconfirmed.keys) }
        #expect(watched == [records[2].contractTxid, records[3].contractTxid])
        await server.shutdown()
    }
}
