import BitcoinPrimitives
import ChannelManager
import Synchronization
import Testing

/// A source that answers the wrong block, or blocks that do not link up, is an error, and
/// nothing of it is applied.
@Suite("ChainFollower with a faulty source")
struct ChainFollowerBadSourceTests {
    /// Answers heights up to `splitHeight` from `first`, above it from `second`; blocks and
    /// headers from either; and, when `swapBlocks`, the block before the one asked for.
    final class SplicedSource: BlockSource {
        let first: MemoryChain
        let second: MemoryChain
        let splitHeight: Int
        let swapBlocks: Bool

        init(first: MemoryChain, second: MemoryChain, splitHeight: Int, swapBlocks: Bool = false) {
            self.first = first
            self.second = second
            self.splitHeight = splitHeight
            self.swapBlocks = swapBlocks
        }

        func bestTip() async throws(ChainError) -> BlockPosition { try await second.bestTip() }

        func blockHash(atHeight height: Int) async throws(ChainError) -> Hash256? {
            height <= splitHeight
                ? try await first.blockHash(atHeight: height) : try await second.blockHash(atHeight: height)
        }

        func block(_ hash: Hash256) async throws(ChainError) -> Block? {
            let block: Block?
            if let found = try await first.block(hash) { block = found } else { block = try await second.block(hash) }
            guard swapBlocks, let block, let previous = try await first.block(block.header.previousBlockHash) else {
                return block
            }
            return previous
        }

        func header(_ hash: Hash256) async throws(ChainError) -> ChainHeader? {
            if let found = try await first.header(hash) { return found }
            return try await second.header(hash)
        }
    }

    func chains() -> (MemoryChain, MemoryChain) {
        let first = MemoryChain(clock: ManualClock(now: ChainFixtures.start))
        let second = MemoryChain(clock: ManualClock(now: ChainFixtures.start + 7))
        first.mine(blocks: 4)
        second.mine(blocks: 4)
        return (first, second)
    }

    @Test("a block other than the one asked for is a source error")
    func wrongBlock() async throws {
        let (first, _) = chains()
        let source = SplicedSource(first: first, second: first, splitHeight: 10, swapBlocks: true)
        let follower = try await ChainFollower(
            source: source, store: InMemoryChannelStore(), broadcaster: RecordingBroadcaster(), birthday: 1)
        let error = await followError { try await follower.poll() }
        #expect(
            error
                == .source(
                    ChainError(
                        .unavailable,
                        "asked for block \(first.blocks[1].hash), the source answered \(first.blocks[0].hash)")))
        #expect(follower.cursor == nil)
    }

    @Test("blocks that keep not building on a cursor the source says is on its chain are a source error")
    func unlinkedBlocks() async throws {
        let (first, second) = chains()
        let store = InMemoryChannelStore()
        let source = SplicedSource(first: first, second: second, splitHeight: 2)
        let follower = try await ChainFollower(
            source: source, store: store, broadcaster: RecordingBroadcaster(), birthday: 0)
        let error = await followError { try await follower.poll() }
        let cursor = BlockPosition(height: 2, hash: first.blocks[2].hash)
        #expect(
            error
                == .source(
                    ChainError(
                        .unavailable,
                        "block 3 (\(second.blocks[3].hash)) does not build on \(cursor), which is on the best chain")))
        // Up to the split, all is well and durable.
        #expect(follower.cursor == BlockPosition(height: 2, hash: first.blocks[2].hash))
        #expect(try await store.chainIndex().cursor == follower.cursor)
    }
}
