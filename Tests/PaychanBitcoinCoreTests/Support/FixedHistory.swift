import BitcoinPrimitives
import ChannelManager
import Testing

/// A block index's answers fixed by a test (the chain follower is tested on its own).
struct FixedHistory: ConfirmedHistory {
    var confirmed: [Hash256: UInt32] = [:]
    var spenders: [OutPoint: Hash256] = [:]
    var transactions: [Hash256: Transaction] = [:]

    func confirmations(of txid: Hash256) async throws(ChainError) -> UInt32? { confirmed[txid] }
    func confirmedSpender(of outpoint: OutPoint) async throws(ChainError) -> Hash256? { spenders[outpoint] }
    func confirmedTransaction(_ txid: Hash256) async throws(ChainError) -> Transaction? { transactions[txid] }
}

/// The ``ChainError`` `body` throws, if any (another error is recorded as an issue).
func chainError(_ body: () async throws -> Void) async -> ChainError? {
    do {
        try await body()
        return nil
    } catch let error as ChainError {
        return error
    } catch {
        Issue.record("not a ChainError: \(error)")
        return nil
    }
}
