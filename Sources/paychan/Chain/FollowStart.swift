import ChannelManager
import Logging
import PaychanBitcoinCore

/// Where a directory starts following a node the first time (its store has no cursor yet):
/// reading blocks from a birthday height, or scanning the UTXO set (`scantxoutset`) for the
/// wallet's coins and reading blocks after the scan's tip.
enum FollowStart {
    /// A birthday further below the tip than this is found by a scan instead of reading blocks.
    static let blocksReadAtMost = 144

    /// The birthday height to give the ``ChainFollower``, scanning first when needed:
    /// - with a cursor stored: 0 (the cursor says where to go on; a reorg below the first
    ///   block followed is then undone for the listeners too);
    /// - with `--birthday` at most ``blocksReadAtMost`` below the tip (or above it): that height;
    /// - with an older `--birthday`, or none when the wallet handed out keys or holds coins
    ///   already (its addresses may have been paid before this first start): a scan, its tip
    ///   stored as the cursor (so the blocks after it are read, on this start and the next);
    /// - otherwise (a new directory): the tip.
    static func birthday(
        requested: Int?, store: any ChannelStore, wallet: SeedWallet, node: BitcoinCoreChain,
        source: any BlockSource, logger: Logger
    ) async throws(CommandFailure) -> Int {
        let cursor: BlockPosition?
        do { cursor = try await store.chainIndex().cursor } catch {
            throw CommandFailure("cannot read the chain index: \(error)")
        }
        if cursor != nil { return 0 }
        let tip: BlockPosition
        do { tip = try await source.bestTip() } catch {
            throw CommandFailure("cannot read the node's tip: \(error)", exitCode: 2)
        }
        if let requested, requested + blocksReadAtMost >= tip.height { return requested }
        if requested == nil, try await !walletMayHaveCoins(store) { return tip.height }
        let scan: UnspentOutputScan
        do throws(FundingError) { scan = try await wallet.scanUnspentOutputs(with: node) } catch {
            throw CommandFailure(
                "cannot scan the node's UTXO set for the wallet's coins: \(error)",
                exitCode: error.kind == .unavailable ? 2 : 1)
        }
        let total = scan.outputs.reduce(Int64(0)) { $0 + $1.output.value.satoshis }
        logger.info(
            "first start against the node: scantxoutset found \(scan.outputs.count) coins (\(total) sat) at height \(scan.height); following from \(scan.height + 1)"
        )
        guard let hash = scan.blockHash else { return scan.height + 1 }
        // The scan stands for every block up to its tip: the cursor goes there, durably, so the
        // next start reads the blocks after it instead of scanning again.
        let position = BlockPosition(height: scan.height, hash: hash)
        do { try await store.write([.chainIndex(.cursor(position))]) } catch {
            throw CommandFailure("cannot store the chain cursor: \(error)")
        }
        return 0
    }

    /// Whether the wallet handed out a key or holds an output (so coins may predate the node).
    private static func walletMayHaveCoins(_ store: any ChannelStore) async throws(CommandFailure) -> Bool {
        do {
            for family in [KeyFamily.walletReceive, .walletChange, .clientChannel]
            where try await store.nextKeyIndex(family) > 0 {
                return true
            }
            return try await !store.walletOutputs(unspentOnly: false).isEmpty
        } catch {
            throw CommandFailure("cannot read the wallet's store: \(error)")
        }
    }
}
