import BitcoinPrimitives
import ChannelStateMachine

/// Why a ``ServerManager`` command failed.
public enum ServerManagerError: Error, Sendable, CustomStringConvertible {
    /// The configuration is incoherent.
    case invalidConfig(ChannelError)
    /// No stored channel has this contract.
    case unknownChannel(Hash256)
    /// The channel is not open (already settling, settled or failed).
    case notOpen(Hash256, ServerChannelRecord.State)
    /// The store failed.
    case store(StoreError)
    /// A key could not be derived.
    case keys(KeyDerivationError)
    /// The stored channel could not be rebuilt.
    case channel(ChannelError)
    /// The manager was shut down.
    case shutDown
    /// The channel could not be claimed for this node (another node serves it, or the claims
    /// are unavailable).
    case claim(ClaimError)

    public var description: String {
        switch self {
        case .invalidConfig(let error): return "invalid server configuration: \(error.explanation)"
        case .unknownChannel(let txid): return "no stored channel with contract \(txid.displayHex)"
        case .notOpen(let txid, let state): return "channel \(txid.displayHex) is \(state.rawValue), not open"
        case .store(let error): return error.description
        case .keys(let error): return "key derivation failed: \(error)"
        case .channel(let error): return "stored channel unusable: \(error.explanation)"
        case .shutDown: return "the server manager is shut down"
        case .claim(let error): return error.description
        }
    }
}
