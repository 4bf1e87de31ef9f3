import BitcoinPrimitives
import ChannelStateMachine
import Testing

/// What protobuf-c (1.4.1) does with inputs where protobuf implementations may differ, and
/// what the codec makes of it.
@Suite struct ProtobufCBehaviourTests {
    @Test func unknownFieldsAreAcceptedAndDropped() throws {
        // PAYMENT_ACK with an unknown varint field 15 and an unknown bytes field 20 in the
        // envelope, and an unknown field 9 inside payment_ack.
        let bytes = ProtoWriter.build {
            $0.varint(1, 11)
            $0.varint(15, 300)
            $0.bytes(
                11,
                ProtoWriter.build {
                    $0.bytes(1, [0x61])
                    $0.varint(9, 1)
                })
            $0.bytes(20, [1, 2, 3])
        }
        let message = try ChannelMessage(decoding: bytes)
        #expect(message == .paymentAck(PaymentAck(info: [0x61])))
        #expect(message.encoded().hex == "080b5a030a0161")
    }

    @Test func otherTypesFieldsAreIgnoredAndDropped() throws {
        // CHANNEL_OPEN that also carries a (valid) server_version: bitcoinj reads only `type`.
        let message = try ChannelMessage(decoding: [UInt8](hex: "08071a0408021000") ?? [])
        #expect(message == .channelOpen)
        #expect(message.encoded().hex == "0807")
    }

    @Test func otherTypesFieldsMustStillBeWellFormed() {
        // ... but protobuf-c unpacks every field, so a broken one fails the whole message (as
        // protobuf-java's required-field check would).
        #expect(throws: WireError.self) { try ChannelMessage(decoding: [UInt8](hex: "08071a021000") ?? []) }
    }

    @Test func unknownErrorCodeReadsAsAbsent() throws {
        let message = try ChannelMessage(decoding: [UInt8](hex: "080a5206086312026869") ?? [])
        guard case .error(let error) = message else {
            Issue.record("not an error: \(message)")
            return
        }
        #expect(!error.hasCode)
        #expect(error.code == .other)
        #expect(error.explanation == "hi")
        #expect(message.encoded().hex == "080a520412026869")
    }

    @Test func repeatedScalarLastOneWins() throws {
        // `type` twice: 2 then 7. protobuf-java also keeps the last value.
        #expect(try ChannelMessage(decoding: [UInt8](hex: "08020807") ?? []) == .channelOpen)
    }

    @Test func repeatedSubmessageIsMergedButEachPartMustBeComplete() throws {
        let first = HostileMessages.updatePaymentPayload(change: 5)
        let second = HostileMessages.updatePaymentPayload(change: 4) + ProtoWriter.build { $0.bytes(3, [0x69]) }
        let merged = try ChannelMessage(
            decoding: ProtoWriter.build {
                $0.varint(1, 8)
                $0.bytes(8, first)
                $0.bytes(8, second)
            })
        #expect(
            merged
                == .updatePayment(
                    UpdatePayment(clientChangeValue: 4, signature: HostileMessages.signature, info: [0x69])))
        // protobuf-java merges the bytes first and checks required fields after; protobuf-c
        // checks each occurrence on its own, so a payment split across two occurrences fails.
        let split = ProtoWriter.build {
            $0.varint(1, 8)
            $0.bytes(8, ProtoWriter.build { $0.varint(1, 5) })
            $0.bytes(8, ProtoWriter.build { $0.bytes(2, HostileMessages.signature) })
        }
        #expect(throws: WireError.self) { try ChannelMessage(decoding: split) }
    }

    @Test func nonMinimalVarintsAreAcceptedAndReencodedMinimally() throws {
        // type 7 written as two bytes.
        let message = try ChannelMessage(decoding: [0x08, 0x87, 0x00])
        #expect(message == .channelOpen)
        #expect(message.encoded() == [0x08, 0x07])
    }

    @Test func int32FromWideVarintKeepsLow32Bits() throws {
        // major = 2^32 + 2 (a varint too wide for int32): protobuf-c, like protobuf-java, keeps
        // the low 32 bits.
        let bytes = HostileMessages.envelope(
            type: 2, field: 3, payload: ProtoWriter.build { $0.varint(1, 1 << 32 | 2) })
        #expect(try ChannelMessage(decoding: bytes) == .serverVersion(ServerVersion(major: 2, minor: nil)))
    }

    @Test func explanationTextIsRepairedAndCutAtNUL() throws {
        let invalidUTF8 = HostileMessages.envelope(
            type: 10, field: 10, payload: ProtoWriter.build { $0.bytes(2, [0x61, 0xff, 0x62]) })
        guard case .error(let repaired) = try ChannelMessage(decoding: invalidUTF8) else { return }
        #expect(repaired.explanation == "a\u{FFFD}b")
        let withNUL = HostileMessages.envelope(
            type: 10, field: 10, payload: ProtoWriter.build { $0.bytes(2, [0x61, 0x00, 0x62]) })
        guard case .error(let cut) = try ChannelMessage(decoding: withNUL) else { return }
        #expect(cut.explanation == "a")
    }

    @Test func emptyOptionalBytesArePresent() throws {
        let message = try ChannelMessage(decoding: HostileMessages.updatePayment(info: []))
        guard case .updatePayment(let payment) = message else { return }
        #expect(payment.info == [])
        #expect(message.encoded() == HostileMessages.updatePayment(info: []))
    }

    @Test func hybridPublicKeyEncodingIsRefusedByTheCodec() throws {
        // libsecp256k1's parser accepts the hybrid 06/07 form; bitcoinj's isPubKeyCanonical does
        // not, and neither does the codec.
        let uncompressed = try PublicKey(bytes: HostileMessages.serverKey).uncompressed.bytes
        let hybrid = [uncompressed[64] & 1 == 0 ? 0x06 : 0x07] + uncompressed.dropFirst()
        let acceptedByPrimitives = (try? PublicKey(bytes: hybrid)) != nil
        print("PublicKey(bytes:) accepts the hybrid encoding: \(acceptedByPrimitives)")
        #expect(throws: WireError.self) { try ChannelMessage(decoding: HostileMessages.initiate(key: hybrid)) }
    }
}
