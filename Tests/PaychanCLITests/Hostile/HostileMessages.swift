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

extension HostileMessages {
    /// A `TwoWayChannelMessage` of `type` with `payload` in `field` (short fields only).
    static func envelope(type: UInt8, field: UInt8, payload: [UInt8]) -> [UInt8] {
        [0x08, type, field << 3 | 2, UInt8(payload.count)] + payload
    }

    /// A length-delimited field of at most 127 bytes.
    static func bytesField(_ field: UInt8, _ value: [UInt8]) -> [UInt8] {
        [field << 3 | 2, UInt8(value.count)] + value
    }

    /// One message body of every type with fields that can be malformed, each refused by the
    /// codec after its type is read (a transaction that does not parse, a key or signature of
    /// the wrong length, a missing payload), and a CLOSE whose settlement does not parse.
    static var malformed: [(String, [UInt8])] {
        let badTx: [UInt8] = [0x01, 0x00, 0x00, 0x00, 0x01]
        let badKey = [UInt8](repeating: 0x02, count: 32)
        let emptySignaturePayment = [0x08, 0x01] + bytesField(2, [])
        return [
            (
                "CLIENT_VERSION with a 31-byte resume hash",
                envelope(type: 1, field: 2, payload: [0x08, 0x02] + bytesField(3, [UInt8](repeating: 7, count: 31)))
            ),
            ("SERVER_VERSION without its payload", [0x08, 0x02]),
            (
                "INITIATE with a 32-byte key",
                envelope(type: 3, field: 4, payload: bytesField(1, badKey) + [0x10, 0x01, 0x18, 0x01, 0x20, 0x01])
            ),
            (
                "PROVIDE_REFUND whose tx does not parse",
                envelope(type: 4, field: 5, payload: bytesField(1, key.publicKey.bytes) + bytesField(2, badTx))
            ),
            ("RETURN_REFUND with an empty signature", envelope(type: 5, field: 6, payload: bytesField(1, []))),
            (
                "PROVIDE_CONTRACT whose tx does not parse",
                envelope(
                    type: 6, field: 7,
                    payload: bytesField(1, badTx) + bytesField(2, emptySignaturePayment)
                        + bytesField(3, key.publicKey.bytes))
            ),
            ("UPDATE_PAYMENT with an empty signature", envelope(type: 8, field: 8, payload: emptySignaturePayment)),
            ("CLOSE whose settlement does not parse", envelope(type: 9, field: 9, payload: bytesField(3, badTx))),
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
