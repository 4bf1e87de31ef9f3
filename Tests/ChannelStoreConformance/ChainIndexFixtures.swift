import BitcoinPrimitives
import ChannelManager

/// Values for the chain index tests of every store.
public enum ChainIndexFixtures {
    /// A transaction spending `outpoint`.
    public static func spender(of outpoint: OutPoint, seed: Int) throws -> Transaction {
        var transaction = try StoreFixtures.transaction(seed, tag: 70, value: 1_000, witness: seed % 2 == 0)
        transaction.inputs[0].previousOutput = outpoint
        return transaction
    }

    /// A block position at `height` with a hash derived from it.
    public static func position(_ height: Int) throws -> BlockPosition {
        BlockPosition(height: height, hash: try StoreFixtures.hash(height, tag: 90))
    }
}
