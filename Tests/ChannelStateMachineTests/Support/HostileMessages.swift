import BitcoinPrimitives
import ChannelStateMachine

/// Building blocks for hostile messages: valid parts taken from the fixtures, and envelopes
/// around arbitrary payload bytes.
enum HostileMessages {
    static let serverKey = [UInt8](hex: "034f17d6f4fd79aa56bbacfacc95e5114ece1fe17e2a5002e87e0e961e23824408") ?? []
    static let clientKey = [UInt8](hex: "02f7a17060223b373a146e7d6f3b60440b8c3681a834a86f0265007429aafdcc08") ?? []
    /// A strict-DER signature with SIGHASH_SINGLE|ANYONECANPAY (from errors.json).
    static let signature = [UInt8](hex: "300602010102010183") ?? []
    /// E4's contract: one input, no outputs (it parses).
    static let contract =
        [UInt8](
            hex:
                "010000000117a69d13c83f833e39c81ea294dcc657f314a95911a89b5101941b36f240d5470000000000ffffffff0000000000"
        ) ?? []

    /// An envelope of `type` with `payload` in field `field`.
    static func envelope(type: UInt64, field: UInt64, payload: [UInt8]) -> [UInt8] {
        ProtoWriter.build {
            $0.varint(1, type)
            $0.bytes(field, payload)
        }
    }

    static func initiate(key: [UInt8] = serverKey, minSize: UInt64 = 100_000, minPayment: UInt64 = 1000) -> [UInt8] {
        envelope(
            type: 3, field: 4,
            payload: ProtoWriter.build {
                $0.bytes(1, key)
                $0.varint(2, minSize)
                $0.varint(3, 1_767_311_940)
                $0.varint(4, minPayment)
            })
    }

    static func updatePaymentPayload(change: UInt64 = 998_000, signature: [UInt8] = signature) -> [UInt8] {
        ProtoWriter.build {
            $0.varint(1, change)
            $0.bytes(2, signature)
        }
    }

    static func updatePayment(change: UInt64 = 998_000, signature: [UInt8] = signature, info: [UInt8]? = nil)
        -> [UInt8]
    {
        var payload = updatePaymentPayload(change: change, signature: signature)
        if let info { payload += ProtoWriter.build { $0.bytes(3, info) } }
        return envelope(type: 8, field: 8, payload: payload)
    }

    static func provideContract(tx: [UInt8] = contract, clientKey: [UInt8]? = clientKey, payment: [UInt8]? = nil)
        -> [UInt8]
    {
        envelope(
            type: 6, field: 7,
            payload: ProtoWriter.build {
                $0.bytes(1, tx)
                $0.bytes(2, payment ?? updatePaymentPayload(change: 999_000))
                if let clientKey { $0.bytes(3, clientKey) }
            })
    }

    static func provideRefund(key: [UInt8] = clientKey, tx: [UInt8] = contract) -> [UInt8] {
        envelope(
            type: 4, field: 5,
            payload: ProtoWriter.build {
                $0.bytes(1, key)
                $0.bytes(2, tx)
            })
    }
}

/// A message whose type can be read but whose fields the codec refuses.
struct MalformedMessage: Sendable {
    let name: String
    let type: MessageType
    /// The code the codec answers with, which a machine uses when the message is in order.
    let code: ErrorCode
    let bytes: [UInt8]
}

extension HostileMessages {
    /// Malformed messages of every type whose fields can be malformed (CHANNEL_OPEN has no
    /// fields, and PAYMENT_ACK's one field takes any bytes), each refused by the codec with the
    /// message's type known, so that a machine can tell whether it is in order.
    static let malformed: [MalformedMessage] = {
        let noSignature: [UInt8] = []
        let badKey = [UInt8](repeating: 0x02, count: 32)
        let badTx: [UInt8] = [0x01, 0x00, 0x00, 0x00, 0x01]  // errors.json E6
        return [
            MalformedMessage(
                name: "CLIENT_VERSION with a 31-byte resume hash", type: .clientVersion, code: .syntaxError,
                bytes: envelope(
                    type: 1, field: 2,
                    payload: ProtoWriter.build {
                        $0.varint(1, 2)
                        $0.bytes(3, [UInt8](repeating: 7, count: 31))
                    })),
            MalformedMessage(
                name: "SERVER_VERSION without its payload", type: .serverVersion, code: .syntaxError,
                bytes: ProtoWriter.build { $0.varint(1, 2) }),
            MalformedMessage(
                name: "INITIATE with a 32-byte key", type: .initiate, code: .badTransaction,
                bytes: initiate(key: badKey)),
            MalformedMessage(
                name: "INITIATE with min payment 2^64-1", type: .initiate, code: .minPaymentTooLarge,
                bytes: initiate(minPayment: .max)),
            MalformedMessage(
                name: "PROVIDE_REFUND with a 32-byte key", type: .provideRefund, code: .badTransaction,
                bytes: provideRefund(key: badKey)),
            MalformedMessage(
                name: "PROVIDE_REFUND whose tx does not parse", type: .provideRefund, code: .badTransaction,
                bytes: provideRefund(tx: badTx)),
            MalformedMessage(
                name: "RETURN_REFUND with an empty signature", type: .returnRefund, code: .badTransaction,
                bytes: envelope(type: 5, field: 6, payload: ProtoWriter.build { $0.bytes(1, noSignature) })),
            MalformedMessage(
                name: "PROVIDE_CONTRACT whose tx does not parse", type: .provideContract, code: .badTransaction,
                bytes: provideContract(tx: badTx)),
            MalformedMessage(
                name: "PROVIDE_CONTRACT with a 32-byte client key", type: .provideContract, code: .badTransaction,
                bytes: provideContract(clientKey: badKey)),
            MalformedMessage(
                name: "PROVIDE_CONTRACT with an empty initial signature", type: .provideContract,
                code: .badTransaction,
                bytes: provideContract(payment: updatePaymentPayload(change: 999_000, signature: noSignature))),
            MalformedMessage(
                name: "UPDATE_PAYMENT with an empty signature", type: .updatePayment, code: .syntaxError,
                bytes: updatePayment(signature: noSignature)),
            MalformedMessage(
                name: "UPDATE_PAYMENT with an 81-byte signature", type: .updatePayment, code: .syntaxError,
                bytes: updatePayment(signature: [UInt8](repeating: 0x30, count: 81))),
            MalformedMessage(
                name: "UPDATE_PAYMENT with change 2^64-1", type: .updatePayment, code: .badTransaction,
                bytes: updatePayment(change: .max)),
            MalformedMessage(
                name: "CLOSE whose settlement does not parse", type: .close, code: .badTransaction,
                bytes: envelope(type: 9, field: 9, payload: ProtoWriter.build { $0.bytes(3, badTx) })),
            MalformedMessage(
                name: "ERROR without its payload", type: .error, code: .syntaxError,
                bytes: ProtoWriter.build { $0.varint(1, 10) }),
        ]
    }()
}
