import BitcoinPrimitives
import ChannelStateMachine
import Testing

/// Each kind of bad input gives the intended ``WireError``.
@Suite struct HostileInputTests {
    /// Decodes `bytes`, expecting a failure; returns it.
    private func failure(_ bytes: [UInt8], _ comment: Comment? = nil) -> WireError? {
        do {
            let message = try ChannelMessage(decoding: bytes)
            Issue.record("decoded \(message) from \(Array(bytes.prefix(40)).hex); \(comment?.description ?? "")")
            return nil
        } catch {
            return error
        }
    }

    private func expectFailure(
        _ bytes: [UInt8], reason: WireError.Reason, code: ErrorCode, mentioning text: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let error = failure(bytes) else { return }
        #expect(error.reason == reason, "\(error)", sourceLocation: sourceLocation)
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        if let text {
            #expect(error.explanation.contains(text), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func emptyInput() {
        expectFailure([], reason: .malformed, code: .syntaxError, mentioning: "missing required field type")
    }

    @Test func everyTruncationOfEveryRecordedMessage() throws {
        var refused = 0
        var validPrefixes = 0
        let recordedMessages = try Fixtures.allMessages()
        for recorded in recordedMessages {
            for length in 0..<recorded.bytes.count {
                let prefix = Array(recorded.bytes.prefix(length))
                do {
                    // A prefix that ends between top-level fields can be a whole message
                    // (CLOSE's `0809`); then it must be exactly that message.
                    let message = try ChannelMessage(decoding: prefix)
                    #expect(message.encoded() == prefix, "\(recorded.label) prefix \(length)")
                    validPrefixes += 1
                } catch {
                    #expect([.malformed, .missingPayload, .invalidTransaction].contains(error.reason))
                    refused += 1
                }
            }
        }
        print("truncations: \(refused) refused, \(validPrefixes) were whole messages themselves")
        #expect(refused + validPrefixes == recordedMessages.reduce(0) { $0 + $1.bytes.count })
        #expect(refused > 4000)
    }

    @Test func messageWithoutType() {
        // A SERVER_VERSION payload without the envelope's `type`.
        expectFailure(
            [UInt8](hex: "1a0408021000") ?? [], reason: .malformed, code: .syntaxError,
            mentioning: "missing required field type")
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 8, 10] as [UInt64])
    func typeWithoutItsField(type: UInt64) {
        let bytes = ProtoWriter.build { $0.varint(1, type) }
        guard let error = failure(bytes) else { return }
        #expect(error.reason == .missingPayload)
        #expect(error.code == .syntaxError)
        #expect(error.messageType?.rawValue == Int32(type))
    }

    @Test func typeWithAnotherTypesField() {
        // UPDATE_PAYMENT carrying a payment_ack instead of update_payment.
        expectFailure(
            [UInt8](hex: "08085a00") ?? [], reason: .missingPayload, code: .syntaxError, mentioning: "UPDATE_PAYMENT")
    }

    @Test(arguments: [0, 12, 13, 127, 1 << 20, 0x7fff_ffff, 0xffff_ffff_ffff_ffff] as [UInt64])
    func unknownTypeNumber(number: UInt64) {
        let bytes = ProtoWriter.build { $0.varint(1, number) }
        guard let error = failure(bytes) else { return }
        #expect(error.reason == .unknownMessageType)
        #expect(error.code == .syntaxError)
        #expect(error.messageType == nil)
    }

    @Test func oversizedMessage() {
        // 32768 bytes: an UPDATE_PAYMENT whose info makes it one byte too long.
        let overhead = HostileMessages.updatePayment(info: []).count
        var info = [UInt8](repeating: 0x41, count: WireLimits.maxMessageSize + 1 - overhead)
        var bytes = HostileMessages.updatePayment(info: info)
        // The length prefixes grow with the info; trim until the size is exact.
        while bytes.count > WireLimits.maxMessageSize + 1 {
            info.removeLast()
            bytes = HostileMessages.updatePayment(info: info)
        }
        #expect(bytes.count == 32_768)
        expectFailure(bytes, reason: .messageTooLarge, code: .syntaxError, mentioning: "32768")
        // One byte less is accepted.
        info.removeLast()
        let largest = HostileMessages.updatePayment(info: info)
        #expect(largest.count == 32_767)
        #expect((try? ChannelMessage(decoding: largest))?.encoded() == largest)
        // Size is checked before anything else: 32768 zero bytes are too large, not malformed.
        expectFailure([UInt8](repeating: 0, count: 32_768), reason: .messageTooLarge, code: .syntaxError)
    }

    @Test func badPublicKeys() throws {
        let valid = HostileMessages.serverKey
        let uncompressed = try PublicKey(bytes: valid).uncompressed.bytes
        let cases: [(String, [UInt8])] = [
            ("empty", []),
            ("32 bytes", Array(valid.prefix(32))),
            ("34 bytes", valid + [0]),
            ("64 bytes", Array(uncompressed.dropFirst())),
            ("x not below p", [0x02] + [UInt8](repeating: 0xff, count: 32)),
            ("bad prefix 05", [0x05] + valid.dropFirst()),
            ("uncompressed with compressed prefix", [0x02] + uncompressed.dropFirst()),
            ("hybrid 06/07", [uncompressed[64] & 1 == 0 ? 0x06 : 0x07] + uncompressed.dropFirst()),
            ("uncompressed, y wrong", Array(uncompressed.dropLast()) + [uncompressed[64] ^ 1]),
            ("all zero", [UInt8](repeating: 0, count: 33)),
        ]
        for (name, key) in cases {
            for (message, type) in [
                (HostileMessages.initiate(key: key), MessageType.initiate),
                (HostileMessages.provideRefund(key: key), .provideRefund),
                (HostileMessages.provideContract(clientKey: key), .provideContract),
            ] {
                guard let error = failure(message, "\(name)") else { continue }
                #expect(error.reason == .invalidPublicKey, "\(name): \(error)")
                #expect(error.code == .badTransaction, "\(name)")
                #expect(error.messageType == type)
            }
        }
        // The valid forms are accepted, compressed and uncompressed.
        #expect(throws: Never.self) { try ChannelMessage(decoding: HostileMessages.initiate(key: uncompressed)) }
        #expect(throws: Never.self) { try ChannelMessage(decoding: HostileMessages.provideContract(clientKey: nil)) }
    }

    @Test func transactionsThatDoNotParse() {
        let cases: [[UInt8]] = [
            [], [0x01, 0x00, 0x00, 0x00, 0x01], HostileMessages.contract + [0x00],
            Array(HostileMessages.contract.dropLast()),
            [UInt8](repeating: 0xff, count: 60),
        ]
        for tx in cases {
            expectFailure(HostileMessages.provideContract(tx: tx), reason: .invalidTransaction, code: .badTransaction)
            expectFailure(HostileMessages.provideRefund(tx: tx), reason: .invalidTransaction, code: .badTransaction)
            expectFailure(
                HostileMessages.envelope(type: 9, field: 9, payload: ProtoWriter.build { $0.bytes(3, tx) }),
                reason: .invalidTransaction, code: .badTransaction, mentioning: "Settlement.tx")
        }
    }

    @Test func signatureLengths() {
        let sig = HostileMessages.signature
        for bad in [[], Array(sig.prefix(8)), [UInt8](repeating: 0x30, count: 81), [UInt8](repeating: 0, count: 1000)] {
            // bitcoinj's server answers a payment signature it cannot decode with SYNTAX_ERROR.
            expectFailure(
                HostileMessages.updatePayment(signature: bad), reason: .invalidSignature, code: .syntaxError)
            expectFailure(
                HostileMessages.envelope(type: 5, field: 6, payload: ProtoWriter.build { $0.bytes(1, bad) }),
                reason: .invalidSignature, code: .badTransaction)
            expectFailure(
                HostileMessages.provideContract(
                    payment: HostileMessages.updatePaymentPayload(change: 1, signature: bad)),
                reason: .invalidSignature, code: .badTransaction)
        }
        // The bounds themselves are accepted: the state machine judges the contents.
        for good in [Array(sig.prefix(9)), [UInt8](repeating: 0x30, count: 80)] {
            #expect(throws: Never.self) { try ChannelMessage(decoding: HostileMessages.updatePayment(signature: good)) }
        }
    }

    @Test func wrongWireTypes() {
        // `type` as a length-delimited field.
        expectFailure([0x0a, 0x01, 0x08], reason: .malformed, code: .syntaxError, mentioning: "type: wire type 2")
        // update_payment as a varint.
        expectFailure([0x08, 0x08, 0x40, 0x01], reason: .malformed, code: .syntaxError, mentioning: "wire type 0")
        // client_change_value as bytes, inside update_payment.
        let payload = ProtoWriter.build {
            $0.bytes(1, [0x01])
            $0.bytes(2, HostileMessages.signature)
        }
        expectFailure(
            HostileMessages.envelope(type: 8, field: 8, payload: payload), reason: .malformed, code: .syntaxError,
            mentioning: "update_payment: paymentchannels.UpdatePayment.client_change_value: wire type 2")
        // A 64-bit fixed field where a varint belongs.
        expectFailure(
            [0x09, 1, 2, 3, 4, 5, 6, 7, 8], reason: .malformed, code: .syntaxError, mentioning: "wire type 1")
        // Groups (wire types 3 and 4) are not supported by protobuf-c, even for unknown fields.
        expectFailure([0x08, 0x07, 0x7b, 0x7c], reason: .malformed, code: .syntaxError, mentioning: "wire type 3")
    }

    @Test func missingNestedRequiredField() {
        let payload = ProtoWriter.build { $0.varint(1, 5) }
        expectFailure(
            HostileMessages.envelope(type: 8, field: 8, payload: payload), reason: .malformed, code: .syntaxError,
            mentioning: "missing required field signature")
        // Two levels down: PROVIDE_CONTRACT's initial payment without a signature.
        expectFailure(
            HostileMessages.provideContract(payment: payload), reason: .malformed, code: .syntaxError,
            mentioning: "initial_payment: paymentchannels.UpdatePayment: missing required field signature")
    }

    @Test func amountsAboveTheCap() {
        let cap = UInt64(Amount.maxMoney.satoshis)
        expectFailure(
            HostileMessages.updatePayment(change: cap + 1), reason: .amountOutOfRange, code: .badTransaction)
        expectFailure(
            HostileMessages.updatePayment(change: .max), reason: .amountOutOfRange, code: .badTransaction)
        expectFailure(
            HostileMessages.initiate(minSize: cap + 1), reason: .amountOutOfRange, code: .channelValueTooLarge)
        expectFailure(
            HostileMessages.initiate(minPayment: .max), reason: .amountOutOfRange, code: .minPaymentTooLarge)
        #expect(throws: Never.self) { try ChannelMessage(decoding: HostileMessages.updatePayment(change: cap)) }
    }

    @Test func resumeHashOfWrongLength() {
        for length in [0, 31, 33, 64] {
            let payload = ProtoWriter.build {
                $0.varint(1, 2)
                $0.bytes(3, [UInt8](repeating: 7, count: length))
            }
            expectFailure(
                HostileMessages.envelope(type: 1, field: 2, payload: payload), reason: .invalidHash,
                code: .syntaxError)
        }
    }

    /// The malformed messages of the hostile tables' order cases are refused by the codec with
    /// their type known and the code they claim.
    @Test func malformedMessagesOfEveryType() {
        for malformed in HostileMessages.malformed {
            guard let error = failure(malformed.bytes, "\(malformed.name)") else { continue }
            #expect(error.messageType == malformed.type, "\(malformed.name): \(error)")
            #expect(error.code == malformed.code, "\(malformed.name): \(error)")
        }
        let types = Set(HostileMessages.malformed.map(\.type))
        #expect(types == Set(MessageType.allCases).subtracting([.channelOpen, .paymentAck]))
    }

    @Test func malformedFraming() {
        let cases: [(String, [UInt8])] = [
            ("tag zero", [0x00, 0x08, 0x07]),
            ("unterminated varint", [0x08] + [UInt8](repeating: 0x80, count: 11)),
            ("unterminated tag", [0x88, 0x80, 0x80, 0x80, 0x80, 0x80]),
            ("length past the end", [0x08, 0x09, 0x4a, 0x05, 0x1a]),
            ("huge length", [0x08, 0x09, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
            ("wire type 7", [0x08, 0x07, 0x0f]),
        ]
        for (name, bytes) in cases {
            guard let error = failure(bytes, "\(name)") else { continue }
            #expect(error.reason == .malformed, "\(name)")
            #expect(error.code == .syntaxError, "\(name)")
        }
    }
}
