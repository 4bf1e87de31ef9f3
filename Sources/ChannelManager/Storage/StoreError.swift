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
        /// An earlier write failed; the store accepts nothing more until reopened.
        case failed
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "store error (\(kind)): \(message)" }
}

extension StoreError {
    /// The error for a ticket after the one that failed the store with `cause`.
    static func failed(after cause: StoreError) -> StoreError {
        cause.kind == .failed ? cause : StoreError(.failed, "an earlier write failed: \(cause.message)")
    }

    /// The error for a ticket that was never issued by the store it is waited on.
    static func unknownTicket(_ ticket: StoreTicket) -> StoreError {
        StoreError(.inconsistent, "ticket \(ticket.sequence) was not issued by this store")
    }
}
