import BitcoinPrimitives

/// The client machine's states, one payload per state.
enum ClientState: Sendable {
    case idle
    case awaitingServerVersion
    /// Version agreed; waiting for `INITIATE` (or `CHANNEL_OPEN` when resuming).
    case awaitingInitiate(ProtocolVersion)
    /// Terms accepted; waiting for the caller to fund the contract.
    case awaitingFunding(ClientTerms)
    /// Version 1: refund sent; waiting for the server's signature.
    case awaitingRefundSignature(ClientTerms, contract: Transaction, refund: Transaction)
    /// Contract handed over; waiting for `CHANNEL_OPEN`.
    case awaitingChannelOpen(OpenClientChannel)
    case ready(OpenClientChannel)
    /// `CLOSE` sent; waiting for the server's `CLOSE` with the settlement.
    case closing(OpenClientChannel)
    case closed
}

/// The server's terms as accepted by the client.
struct ClientTerms: Sendable {
    let contract: ChannelContract
    let minPayment: Amount
}

/// A channel the client has funded, in memory.
struct OpenClientChannel: Sendable {
    var record: ClientChannelRecord
    let contract: ChannelContract
    let payment: PaymentTransaction
    /// Payments sent and not yet acknowledged, oldest first, each with the value it left us.
    var inFlight: [(amount: Amount, valueLeft: Amount)] = []

    init(record: ClientChannelRecord) throws(ChannelError) {
        self.record = record
        contract = try ChannelContract(
            version: record.version, clientKey: record.clientPublicKey, serverKey: record.serverPublicKey,
            expiry: record.expiry)
        payment = PaymentTransaction(
            contractOutpoint: OutPoint(txid: record.contractTxid, index: 0),
            clientOutputScript: Script.p2pkh(publicKey: record.clientPublicKey),
            signedScript: contract.signedScript)
    }
}

/// Why the client machine refused a payment command.
public enum PaymentError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No channel is open on this machine.
    case channelNotOpen
    /// The amount is zero.
    case zeroAmount
    /// The channel holds less than the amount.
    case insufficientValue(available: Amount)

    public var description: String {
        switch self {
        case .channelNotOpen: return "no open channel"
        case .zeroAmount: return "a payment must be positive"
        case .insufficientValue(let available): return "the channel has only \(available) left"
        }
    }
}
