import BitcoinPrimitives
import ChannelManager
import Testing

extension ChannelStoreConformanceCase {
    /// ``WalletOutput/isCoinbase`` is stored as given, kept by the chain's updates and by a
    /// second add of the same outpoint, and read back by both reads.
    static func walletOutputCoinbaseFlag(_ withStore: ChannelStoreFactory) async throws {
        try await withStore(ManualClock(now: StoreFixtures.baseTime)) { store in
            var coinbase = try StoreFixtures.walletOutput(8)
            coinbase.isCoinbase = true
            coinbase.confirmedHeight = 101
            var spentCoinbase = try StoreFixtures.walletOutput(9, spentBy: try StoreFixtures.hash(901, tag: 9))
            spentCoinbase.isCoinbase = true
            let plain = try StoreFixtures.walletOutput(10)
            try await store.write([
                .walletOutputAdded(coinbase), .walletOutputAdded(spentCoinbase), .walletOutputAdded(plain),
            ])
            #expect(Set(try await store.walletOutputs(unspentOnly: false)) == [coinbase, spentCoinbase, plain])
            #expect(Set(try await store.walletOutputs(unspentOnly: true)) == [coinbase, plain])
            #expect(try await store.walletOutputs(unspentOnly: false).filter(\.isCoinbase).count == 2)

            // A second add of the same outpoint, saying otherwise, changes nothing.
            var notCoinbase = coinbase
            notCoinbase.isCoinbase = false
            try await store.write([.walletOutputAdded(notCoinbase)])
            #expect(Set(try await store.walletOutputs(unspentOnly: false)) == [coinbase, spentCoinbase, plain])

            // The chain's updates keep the flag.
            let spender = try StoreFixtures.hash(902, tag: 9)
            try await store.write([
                .walletOutputConfirmed(coinbase.outpoint, height: 150),
                .walletSpendSeen(coinbase.outpoint, spendingTxid: spender, height: 250),
                .walletSpendAbandoned(spendingTxid: try #require(spentCoinbase.spentBy)),
            ])
            var moved = coinbase
            moved.confirmedHeight = 150
            moved.spentBy = spender
            moved.spendHeight = 250
            moved.spendLearntFromChain = true
            var released = spentCoinbase
            released.spentBy = nil
            #expect(Set(try await store.walletOutputs(unspentOnly: false)) == [moved, released, plain])
            #expect(Set(try await store.walletOutputs(unspentOnly: true)) == [released, plain])
        }
    }
}
