import BitcoinPrimitives
import ChannelManager
import Synchronization
import Testing

/// A listener that records what it is told and answers with the writes a test gives it.
final class RecordingListener: ChainListener {
    enum Event: Hashable {
        case connected(Hash256, height: Int)
        case disconnected(Hash256, height: Int)
        case durable(BlockPosition?)
    }

    private struct State {
        var events: [Event] = []
        var writesOnConnect: (Block, Int) -> [StoreWrite] = { _, _ in [] }
    }

    private let state = Mutex(State())

    var events: [Event] { state.withLock { $0.events } }

    /// The block events only (no durability notices).
    var blockEvents: [Event] {
        events.filter {
            if case .durable = $0 { return false }
            return true
        }
    }

    /// What to answer for each connected block.
    func answerConnected(with writes: @escaping @Sendable (Block, Int) -> [StoreWrite]) {
        state.withLock { $0.writesOnConnect = writes }
    }

    func blockConnected(_ block: Block, height: Int) async -> [StoreWrite] {
        state.withLock { state in
            state.events.append(.connected(block.hash, height: height))
            return state.writesOnConnect(block, height)
        }
    }

    func blockDisconnected(_ block: Block, height: Int) async -> [StoreWrite] {
        state.withLock { $0.events.append(.disconnected(block.hash, height: height)) }
        return []
    }

    func blockWritesDurable(at position: BlockPosition?) async {
        state.withLock { $0.events.append(.durable(position)) }
    }
}

/// A broadcaster that records what it is given and answers as told (success by default).
final class RecordingBroadcaster: TransactionBroadcaster {
    private struct State {
        var broadcast: [Transaction] = []
        var failure: ChainError?
    }

    private let state = Mutex(State())

    var broadcast: [Transaction] { state.withLock { $0.broadcast } }

    /// Makes every later broadcast fail with `error` (or succeed again with `nil`).
    func fail(with error: ChainError?) { state.withLock { $0.failure = error } }

    func broadcast(_ transaction: Transaction) async throws(ChainError) {
        let failure = state.withLock { state -> ChainError? in
            state.broadcast.append(transaction)
            return state.failure
        }
        if let failure { throw failure }
    }
}

/// The ``ChainFollowError`` `body` throws; records an issue when it throws nothing or something
/// else.
func followError(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async -> ChainFollowError? {
    do {
        try await body()
        Issue.record("expected a chain follow error, but it succeeded", sourceLocation: sourceLocation)
    } catch let error as ChainFollowError {
        return error
    } catch {
        Issue.record("expected a chain follow error, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
