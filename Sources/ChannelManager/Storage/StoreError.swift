import BitcoinPrimitives

/// Why a ``ChannelStore`` could not read or write.
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure it was.
    public enum Kind: Sendable, Hashable {
        /// The database could not be opened, read or written (IO, locking, full disk).
        case io
        /// A stored row does not decode into a valid record (corruption or tampering).
        case corrupt
        /// The file was written by a newer schema than this version knows.
        case unsupportedSchema
        /// A write refers to a record that does not exist, or conflicts with one that does.
        case inconsistent
        /// A write fenced by a channel claim (``StoreWrite/claimHeld(_:)``) came from a claim
        /// that is no longer the channel's, or whose lease lapsed: it was refused alone.
        case claimLost
        /// An earlier write failed; the store accepts nothing more until reopened.
        case failed
    }

    /// What kind of failure it is.
    public let kind: Kind
    /// What went wrong, for people.
    public let message: String

    /// An error of `kind`, with `message`.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "store error (\(kind)): \(message)" }
}

/// The errors every ``ChannelStore`` gives for the same cases, so that stores (and their
/// adapters) word them alike.
extension StoreError {
    /// The error for a ticket after the one that failed the store with `cause`.
    public static func failed(after cause: StoreError) -> StoreError {
        cause.kind == .failed ? cause : StoreError(.failed, "an earlier write failed: \(cause.message)")
    }

    /// The error for a ticket that was never issued by the store it is waited on.
    public static func unknownTicket(_ ticket: StoreTicket) -> StoreError {
        StoreError(.inconsistent, "ticket \(ticket.sequence) was not issued by this store")
    }

    /// A payment or state for a channel that is not stored (`.inconsistent`).
    public static func missingChannel(_ txid: Hash256) -> StoreError {
        StoreError(.inconsistent, "no stored channel with contract \(txid.displayHex)")
    }

    /// A spend of a wallet output that is not stored (`.inconsistent`).
    public static func missingWalletOutput(_ outpoint: OutPoint) -> StoreError {
        StoreError(.inconsistent, "wallet output \(outpoint) is not stored")
    }

    /// A key reservation in a family that has handed out every index (`.inconsistent`).
    public static func keyFamilyExhausted(_ family: KeyFamily) -> StoreError {
        StoreError(.inconsistent, "key family \(family) has used every index")
    }

    /// Checks that a record's `contractTxid` is its contract's txid; `.inconsistent` if not.
    public static func checkContract(_ txid: Hash256, of contract: Transaction) throws(StoreError) {
        guard contract.txid == txid else {
            throw StoreError(
                .inconsistent, "record names contract \(txid.displayHex) but holds \(contract.txid.displayHex)")
        }
    }
}
