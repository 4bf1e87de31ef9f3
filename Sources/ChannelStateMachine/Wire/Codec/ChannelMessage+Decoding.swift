import CShims

extension ChannelMessage {
    /// Decodes one serialized `TwoWayChannelMessage` (a frame body, without the length prefix).
    ///
    /// Refuses, with a ``WireError`` carrying the code to answer with: more than
    /// ``WireLimits/maxMessageSize`` bytes; bytes protobuf-c cannot unpack (truncation, bad tags
    /// or lengths, wrong wire types, missing required fields at any depth); an unknown `type`;
    /// a `type` whose field is absent; public keys, transactions, signatures, hashes and amounts
    /// that fail the checks of the payload types. Never traps.
    public init(decoding bytes: [UInt8]) throws(WireError) {
        // Array.withUnsafeBytes rethrows untyped errors; carry the typed one out in a Result.
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(WireError) -> ChannelMessage in try ChannelMessage(decoding: buffer) }
        }
        self = try result.get()
    }

    /// Decodes one serialized `TwoWayChannelMessage` from memory the caller owns (for example
    /// a network buffer), without copying it first. See ``init(decoding:)``.
    public init(decoding buffer: UnsafeRawBufferPointer) throws(WireError) {
        guard buffer.count <= WireLimits.maxMessageSize else {
            throw WireError(
                reason: .messageTooLarge, code: .syntaxError,
                explanation: "message of \(buffer.count) bytes exceeds \(WireLimits.maxMessageSize)",
                messageType: nil)
        }
        let data = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
        guard let unpacked = paymentchannels__two_way_channel_message__unpack(nil, buffer.count, data) else {
            throw WireError(
                reason: .malformed, code: .syntaxError, explanation: WireDiagnosis.explain(buffer),
                messageType: nil)
        }
        defer { paymentchannels__two_way_channel_message__free_unpacked(unpacked, nil) }
        self = try ChannelMessage(unpacked: unpacked.pointee)
    }

    private init(unpacked m: Paymentchannels__TwoWayChannelMessage) throws(WireError) {
        // protobuf-c stores any int32 it reads into the enum field, known or not.
        let number = Int32(truncatingIfNeeded: m.type.rawValue)
        guard let type = MessageType(rawValue: number) else {
            throw WireError(
                reason: .unknownMessageType, code: .syntaxError, explanation: "unknown message type \(number)",
                messageType: nil)
        }
        func missing() -> WireError {
            WireError(
                reason: .missingPayload, code: .syntaxError,
                explanation: "\(type) message without its payload field", messageType: type)
        }
        switch type {
        case .clientVersion:
            guard let p = m.client_version else { throw missing() }
            self = .clientVersion(try ClientVersion(unpacked: p.pointee))
        case .serverVersion:
            guard let p = m.server_version else { throw missing() }
            self = .serverVersion(ServerVersion(unpacked: p.pointee))
        case .initiate:
            guard let p = m.initiate else { throw missing() }
            self = .initiate(try Initiate(unpacked: p.pointee))
        case .provideRefund:
            guard let p = m.provide_refund else { throw missing() }
            self = .provideRefund(try ProvideRefund(unpacked: p.pointee))
        case .returnRefund:
            guard let p = m.return_refund else { throw missing() }
            self = .returnRefund(try ReturnRefund(unpacked: p.pointee))
        case .provideContract:
            guard let p = m.provide_contract else { throw missing() }
            self = .provideContract(try ProvideContract(unpacked: p.pointee))
        case .channelOpen:
            self = .channelOpen
        case .updatePayment:
            guard let p = m.update_payment else { throw missing() }
            self = .updatePayment(try UpdatePayment(unpacked: p.pointee, messageType: .updatePayment))
        case .paymentAck:
            self = .paymentAck(m.payment_ack.map { PaymentAck(unpacked: $0.pointee) })
        case .close:
            if let p = m.settlement {
                self = .close(try Settlement(unpacked: p.pointee))
            } else {
                self = .close(nil)
            }
        case .error:
            guard let p = m.error else { throw missing() }
            self = .error(ErrorMessage(unpacked: p.pointee))
        }
    }
}
