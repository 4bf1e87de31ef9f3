import BitcoinPrimitives
import ChannelStateMachine

/// Well-formed messages of every type, with made-up contents, for sending where they do not
/// belong.
enum HostileMessages {
    static let key: PrivateKey = {
        // A fixed, valid secret: 0x01 repeated.
        (try? PrivateKey(secretBytes: [UInt8](repeating: 1, count: 32)))!
    }()

    static let someTxid = Hash256(internalOrder: [UInt8](repeating: 0xAB, count: 32))!

    static var transaction: Transaction {
        Transaction(
            inputs: [TransactionInput(previousOutput: OutPoint(txid: someTxid, index: 0), sequence: 0)],
            outputs: [TransactionOutput(value: Amount.zero, scriptPubKey: Script.p2pkh(publicKey: key.publicKey))])
    }

    static var signature: [UInt8] {
        key.sign(sighash: someTxid, type: .all).encoded
    }

    /// One message of every type a client must not send (or not first).
    static var everyType: [(String, ChannelMessage)] {
        [
            ("SERVER_VERSION", .serverVersion(ServerVersion(major: 2))),
            (
                "INITIATE",
                .initiate(
                    Initiate(
                        multisigKey: key.publicKey, minAcceptedChannelSize: 1, expireTimeSecs: 2_000_000_000,
                        minPayment: 1))
            ),
            (
                "PROVIDE_REFUND",
                .provideRefund(ProvideRefund(multisigKey: key.publicKey, tx: WireTransaction(transaction)))
            ),
            ("RETURN_REFUND", .returnRefund(ReturnRefund(signature: signature))),
            (
                "PROVIDE_CONTRACT",
                .provideContract(
                    ProvideContract(
                        tx: WireTransaction(transaction),
                        initialPayment: UpdatePayment(clientChangeValue: 1, signature: signature),
                        clientKey: key.publicKey))
            ),
            ("CHANNEL_OPEN", .channelOpen),
            ("UPDATE_PAYMENT", .updatePayment(UpdatePayment(clientChangeValue: 1, signature: signature))),
            ("PAYMENT_ACK", .paymentAck(nil)),
            ("CLOSE", .close(nil)),
            ("CLOSE with settlement", .close(Settlement(tx: WireTransaction(transaction)))),
        ]
    }
}

/// A small deterministic generator (SplitMix64) for garbage that is the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
