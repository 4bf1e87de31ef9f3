import BitcoinPrimitives
import ChannelStateMachine
import Testing

/// Hand-built messages encode to the bytes protobuf-java writes.
@Suite struct EncodingTests {
    private let serverKey = try! PublicKey(
        bytes: [UInt8](hex: "034f17d6f4fd79aa56bbacfacc95e5114ece1fe17e2a5002e87e0e961e23824408")!)

    @Test(arguments: [
        (ChannelMessage.serverVersion(ServerVersion(major: 2)), "08021a0408021000"),
        (.serverVersion(ServerVersion(major: 1, minor: 0)), "08021a0408011000"),
        (.serverVersion(ServerVersion(major: 2, minor: nil)), "08021a020802"),
        (.clientVersion(ClientVersion(major: 2)), "080112080802100020c4a205"),
        (.clientVersion(ClientVersion(major: 7)), "080112080807100020c4a205"),
        (
            .clientVersion(ClientVersion(major: 2, minor: nil, timeWindowSecs: nil)),
            "0801120208 02".replacing(" ", with: "")
        ),
        (.paymentAck(nil), "080b"),
        (.paymentAck(PaymentAck()), "080b5a00"),
        (.paymentAck(PaymentAck(info: Array("order-1".utf8))), "080b5a090a076f726465722d31"),
        (.paymentAck(PaymentAck(info: [])), "080b5a020a00"),
        (.channelOpen, "0807"),
        (.close(nil), "0809"),
        (
            .updatePayment(UpdatePayment(clientChangeValue: 0, signature: [])),
            "08084204080012 00".replacing(" ", with: "")
        ),
        (.error(ErrorMessage(code: .syntaxError)), "080a52020802"),
        (.error(ErrorMessage(code: nil)), "080a5200"),
        (.error(ErrorMessage(code: .other, explanation: "", expectedValue: 0)), "080a5206080812001800"),
    ])
    func encodesToExpectedBytes(message: ChannelMessage, hex: String) throws {
        #expect(message.encoded().hex == hex)
        // And back: the bytes decode to a message equal to the one built, unless the codec's
        // own checks refuse it (the empty signature above).
        if case .updatePayment = message { return }
        #expect(try ChannelMessage(decoding: message.encoded()) == message)
    }

    @Test func negativeInt32IsTenBytesLikeJava() throws {
        let message = ChannelMessage.clientVersion(ClientVersion(major: -1, minor: nil, timeWindowSecs: nil))
        #expect(message.encoded().hex == "0801120b08ffffffffffffffffff01")
        #expect(try ChannelMessage(decoding: message.encoded()) == message)
    }

    @Test func errorReplyMatchesBitcoinjBytes() throws {
        // E1's reply, built by hand.
        let explanation = "This server needs one of protocol versions [1, 2] , client offered 7"
        let message = ChannelMessage.error(ErrorMessage(code: .noAcceptableVersion, explanation: explanation))
        let recorded = try Fixtures.allMessages().first { $0.label.hasPrefix("E1") && $0.type == "ERROR" }
        #expect(recorded != nil)
        #expect(message.encoded() == recorded?.bytes)
    }

    @Test func initiateMatchesBitcoinjBytes() throws {
        let message = ChannelMessage.initiate(
            Initiate(
                multisigKey: serverKey, minAcceptedChannelSize: 100_000, expireTimeSecs: 1_767_311_940,
                minPayment: 1000))
        let recorded = try Fixtures.allMessages().first { $0.type == "INITIATE" }
        #expect(message.encoded() == recorded?.bytes)
    }

    @Test func resumeHashIsWrittenInDisplayOrder() throws {
        let txid = "0510f3d15b31578866a879f07ceadee6831bce174624a173394508b4bbc25bdd"
        let message = ChannelMessage.clientVersion(
            ClientVersion(major: 2, previousChannelContractHash: Hash256(displayHex: txid)))
        #expect(message.encoded().hex == "0801122a08021000" + "1a20" + txid + "20c4a205")
        let recorded = try Fixtures.allMessages().first { $0.type == "CLIENT_VERSION" && $0.bytes.count == 46 }
        #expect(message.encoded() == recorded?.bytes)
    }

    @Test func appendingKeepsExistingBytes() {
        var buffer: [UInt8] = [0, 0, 0, 2]
        ChannelMessage.close(nil).encode(appendingTo: &buffer)
        #expect(buffer == [0, 0, 0, 2, 0x08, 0x09])
    }

    @Test func effectiveValuesAndPresence() {
        var version = ClientVersion(major: 2, minor: nil, timeWindowSecs: nil)
        #expect(!version.hasMinor && version.minor == 0)
        #expect(!version.hasTimeWindowSecs && version.timeWindowSecs == 86_340)
        version.timeWindowSecs = 86_340
        #expect(version.hasTimeWindowSecs)
        version.clearTimeWindowSecs()
        #expect(!version.hasTimeWindowSecs)
        var error = ErrorMessage(code: nil)
        #expect(!error.hasCode && error.code == .other)
        error.code = .timeout
        #expect(error.hasCode && error.code == .timeout)
    }
}
