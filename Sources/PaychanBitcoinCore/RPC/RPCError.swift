import ChannelManager

/// Why a JSON-RPC call to Bitcoin Core failed.
public enum RPCError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The node answered the call with a JSON-RPC error (`code`, `message`), for example -26
    /// `non-final` from `sendrawtransaction` or -5 for an unknown transaction.
    case node(code: Int64, message: String)
    /// The node could not be reached, refused our credentials, or answered something that is
    /// not a well-formed answer to the call (garbage, a wrong id, a truncated body).
    case unavailable(String)

    /// Core's code for "the node is still starting" (`RPC_IN_WARMUP`).
    public static let warmingUp: Int64 = -28

    /// Core's code for an unknown transaction, block or address (`RPC_INVALID_ADDRESS_OR_KEY`).
    public static let notFound: Int64 = -5

    /// The same failure as a ``ChannelManager/ChainError``: node errors the caller did not map
    /// itself are `.rejected`, except -28 (warming up), which is `.unavailable`.
    public var chainError: ChainError {
        switch self {
        case .node(let code, let message) where code == Self.warmingUp:
            return ChainError(.unavailable, "the node is warming up: \(message)")
        case .node(let code, let message):
            return ChainError(.rejected, "the node answered error \(code): \(message)")
        case .unavailable(let message):
            return ChainError(.unavailable, message)
        }
    }

    /// The code and message, or why the node was unavailable.
    public var description: String {
        switch self {
        case .node(let code, let message): return "bitcoind error \(code): \(message)"
        case .unavailable(let message): return "bitcoind unavailable: \(message)"
        }
    }
}
