import CShims

extension ChannelMessage {
    /// The serialized `TwoWayChannelMessage` (a frame body, without the length prefix).
    ///
    /// The bytes are those protobuf-java writes for the same message: fields in field-number
    /// order, and every optional field that is present written even when it equals its
    /// default. Encoding does not check ``WireLimits/maxMessageSize``.
    public func encoded() -> [UInt8] {
        var result: [UInt8] = []
        withEnvelope { envelope in
            let size = paymentchannels__two_way_channel_message__get_packed_size(envelope)
            result = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
                guard let base = buffer.baseAddress, size > 0 else {
                    count = 0
                    return
                }
                count = min(paymentchannels__two_way_channel_message__pack(envelope, base), size)
            }
        }
        return result
    }

    /// Appends the serialized message to `buffer` (for example after a length prefix the caller
    /// has already written), without an intermediate array.
    public func encode(appendingTo buffer: inout [UInt8]) {
        withEnvelope { envelope in
            let size = paymentchannels__two_way_channel_message__get_packed_size(envelope)
            let start = buffer.count
            buffer.append(contentsOf: repeatElement(0, count: size))
            buffer.withUnsafeMutableBufferPointer { all in
                guard let base = all.baseAddress, size > 0 else { return }
                let written = paymentchannels__two_way_channel_message__pack(envelope, base + start)
                assert(written == size, "protobuf-c packed \(written) bytes, announced \(size)")
            }
        }
    }

    /// Builds the protobuf-c envelope for this message, pointing into the payload's own storage,
    /// and calls `body` with it while that storage is alive.
    private func withEnvelope(_ body: (UnsafePointer<Paymentchannels__TwoWayChannelMessage>) -> Void) {
        var envelope = Paymentchannels__TwoWayChannelMessage()
        paymentchannels__two_way_channel_message__init(&envelope)
        envelope.type = Paymentchannels__TwoWayChannelMessage__MessageType(
            rawValue: .init(truncatingIfNeeded: type.rawValue))
        switch self {
        case .clientVersion(let payload):
            payload.withUnpacked { p in
                envelope.client_version = p
                body(&envelope)
            }
        case .serverVersion(let payload):
            payload.withUnpacked { p in
                envelope.server_version = p
                body(&envelope)
            }
        case .initiate(let payload):
            payload.withUnpacked { p in
                envelope.initiate = p
                body(&envelope)
            }
        case .provideRefund(let payload):
            payload.withUnpacked { p in
                envelope.provide_refund = p
                body(&envelope)
            }
        case .returnRefund(let payload):
            payload.withUnpacked { p in
                envelope.return_refund = p
                body(&envelope)
            }
        case .provideContract(let payload):
            payload.withUnpacked { p in
                envelope.provide_contract = p
                body(&envelope)
            }
        case .channelOpen:
            body(&envelope)
        case .updatePayment(let payload):
            payload.withUnpacked { p in
                envelope.update_payment = p
                body(&envelope)
            }
        case .paymentAck(let payload):
            if let payload {
                payload.withUnpacked { p in
                    envelope.payment_ack = p
                    body(&envelope)
                }
            } else {
                body(&envelope)
            }
        case .close(let payload):
            if let payload {
                payload.withUnpacked { p in
                    envelope.settlement = p
                    body(&envelope)
                }
            } else {
                body(&envelope)
            }
        case .error(let payload):
            payload.withUnpacked { p in
                envelope.error = p
                body(&envelope)
            }
        }
    }
}
