/// `Settlement`: carried by the server's `CLOSE`, the fully signed transaction that settles the
/// channel.
public struct Settlement: Hashable, Sendable {
    /// The settlement transaction.
    public var tx: WireTransaction

    /// Creates the message.
    public init(tx: WireTransaction) {
        self.tx = tx
    }
}
