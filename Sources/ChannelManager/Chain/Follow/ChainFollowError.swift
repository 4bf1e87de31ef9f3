/// Why a ``ChainFollower`` could not follow the chain: its ``BlockSource`` failed or answered
/// something inconsistent (`.source`), or its store failed or refused a write (`.store`).
/// Either way nothing of the block being handled was applied; the next poll tries it again.
public enum ChainFollowError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The block source failed.
    case source(ChainError)
    /// The store failed.
    case store(StoreError)

    public var description: String {
        switch self {
        case .source(let error): return "chain follower: block source: \(error)"
        case .store(let error): return "chain follower: \(error)"
        }
    }

    /// A source that answered something inconsistent.
    static func badSource(_ message: String) -> ChainFollowError {
        .source(ChainError(.unavailable, message))
    }
}
