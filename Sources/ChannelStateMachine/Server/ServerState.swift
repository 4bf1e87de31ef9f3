import BitcoinPrimitives

/// The server machine's states, one payload per state.
enum ServerState: Sendable {
    case awaitingClientVersion
    /// Reopen requested; waiting for the caller's lookup.
    case awaitingStoredChannel(NewChannelTerms)
    /// Version 1: `INITIATE` sent, waiting for `PROVIDE_REFUND`.
    case awaitingRefund(NewChannelTerms)
    /// `INITIATE` sent (and in v1 the refund signed); waiting for `PROVIDE_CONTRACT`.
    case awaitingContract(NewChannelTerms, V1Refund?)
    /// Contract accepted and stored; waiting for its broadcast.
    case awaitingContractBroadcast(OpenServerChannel)
    case ready(OpenServerChannel)
    /// A settlement is being broadcast.
    case settling(SettlingServerChannel)
    case closed
}

/// The terms offered to the client in `INITIATE`.
struct NewChannelTerms: Sendable {
    let version: ProtocolVersion
    let expiry: UInt64
    let timeWindow: UInt64
}

/// What the server learnt from a version 1 refund.
struct V1Refund: Sendable {
    let clientKey: PublicKey
    let refund: Transaction
    let clientOutputScript: Script
}

/// An open channel in memory: its record plus what is derived from it once.
struct OpenServerChannel: Sendable {
    var record: ServerChannelRecord
    let key: PrivateKey
    let contract: ChannelContract
    let payment: PaymentTransaction
    let settlement: SettlementBuilder

    init(record: ServerChannelRecord, key: PrivateKey, payoutScript: Script) throws(ChannelError) {
        guard key.publicKey == record.serverPublicKey else {
            throw ChannelError(.other, "stored channel's key does not match its record", origin: .local)
        }
        guard let output = record.contract.outputs.first else {
            throw ChannelError(.other, "stored contract has no outputs", origin: .local)
        }
        self.record = record
        self.key = key
        contract = try ChannelContract(
            version: record.version, clientKey: record.clientPublicKey, serverKey: record.serverPublicKey,
            expiry: record.expiry)
        let outpoint = OutPoint(txid: record.contractTxid, index: 0)
        payment = PaymentTransaction(
            contractOutpoint: outpoint, clientOutputScript: record.clientOutputScript,
            signedScript: contract.signedScript)
        settlement = SettlementBuilder(
            contract: contract, contractOutpoint: outpoint, contractOutput: output,
            clientOutputScript: record.clientOutputScript, payoutScript: payoutScript)
    }
}

/// A channel whose settlement is being broadcast.
struct SettlingServerChannel: Sendable {
    var channel: OpenServerChannel
    let settlement: Transaction
    let fee: Amount
    let reason: CloseReason
    /// Whether a client is connected to be told with `CLOSE`.
    let notifyClient: Bool
}
