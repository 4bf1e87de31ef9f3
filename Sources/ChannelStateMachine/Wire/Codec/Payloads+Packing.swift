import BitcoinPrimitives
import CShims

// Conversions from the payload types to protobuf-c structs for packing. Each `withUnpacked`
// builds the struct on the stack, pointing into the payload's arrays, and calls `body` while
// they are alive; protobuf-c only reads through the pointers.

extension ClientVersion {
    func withUnpacked(_ body: (UnsafeMutablePointer<Paymentchannels__ClientVersion>) -> Void) {
        var c = Paymentchannels__ClientVersion()
        paymentchannels__client_version__init(&c)
        c.major = major
        if hasMinor {
            c.has_minor = 1
            c.minor = minor
        }
        if hasTimeWindowSecs {
            c.has_time_window_secs = 1
            c.time_window_secs = timeWindowSecs
        }
        withOptionalBinaryData(previousChannelContractHash?.displayBytes) { hash in
            if let hash {
                c.has_previous_channel_contract_hash = 1
                c.previous_channel_contract_hash = hash
            }
            body(&c)
        }
    }
}

extension ServerVersion {
    func withUnpacked(_ body: (UnsafeMutablePointer<Paymentchannels__ServerVersion>) -> Void) {
        var c = Paymentchannels__ServerVersion()
        paymentchannels__server_version__init(&c)
        c.major = major
        if hasMinor {
            c.has_minor = 1
            c.minor = minor
        }
        body(&c)
    }
}

extension Initiate {
    func withUnpacked(_ body: (UnsafeMutablePointer<Paymentchannels__Initiate>) -> Void) {
        var c = Paymentchannels__Initiate()
        paymentchannels__initiate__init(&c)
        c.min_accepted_channel_size = minAcceptedChannelSize
        c.expire_time_secs = expireTimeSecs
        c.min_payment = minPayment
        withBinaryData(multisigKey.bytes) { key in
            c.multisig_key = key
            body(&c)
        }
    }
}

extension ProvideRefund {
    func withUnpacked(_ body: (UnsafeMutablePointer<Paymentchannels__ProvideRefund>) -> Void) {
        var c = Paymentchannels__ProvideRefund()
        paymentchannels__provide_refund__init(&c)
        withBinaryData(multisigKey.bytes) { key in
            withBinaryData(tx.bytes) { tx in
                c.multisig_key = key
                c.tx = tx
                body(&c)
            }
        }
    }
}

extension ReturnRefund {
    func withUnpacked(_ body: (UnsafeMutablePointer<Paymentchannels__ReturnRefund>) -> Void) {
        var c = Paymentchannels__ReturnRefund()
        paymentchannels__return_refund__init(&c)
        withBinaryData(signature) { signature in
            c.signature = signature
            body(&c)
        }
    }
}

extension ProvideContract {
    func withUnpacked(_ body: (UnsafeMutablePointer<Paymentchannels__ProvideContract>) -> Void) {
        var c = Paymentchannels__ProvideContract()
        paymentchannels__provide_contract__init(&c)
        withBinaryData(tx.bytes) { tx in
            withOptionalBinaryData(clientKey?.bytes) { key in
                initialPayment.withUnpacked { payment in
                    c.tx = tx
                    c.initial_payment = payment
                    if let key {
                        c.has_client_key = 1
                        c.client_key = key
                    }
                    body(&c)
                }
            }
        }
    }
}

extension UpdatePayment {
    func withUnpacked(_ body: (UnsafeMutablePointer<Paymentchannels__UpdatePayment>) -> Void) {
        var c = Paymentchannels__UpdatePayment()
        paymentchannels__update_payment__init(&c)
        c.client_change_value = clientChangeValue
        withBinaryData(signature) { signature in
            withOptionalBinaryData(info) { info in
                c.signature = signature
                if let info {
                    c.has_info = 1
                    c.info = info
                }
                body(&c)
            }
        }
    }
}

extension PaymentAck {
    func withUnpacked(_ body: (UnsafeMutablePointer<Paymentchannels__PaymentAck>) -> Void) {
        var c = Paymentchannels__PaymentAck()
        paymentchannels__payment_ack__init(&c)
        withOptionalBinaryData(info) { info in
            if let info {
                c.has_info = 1
                c.info = info
            }
            body(&c)
        }
    }
}

extension Settlement {
    func withUnpacked(_ body: (UnsafeMutablePointer<Paymentchannels__Settlement>) -> Void) {
        var c = Paymentchannels__Settlement()
        paymentchannels__settlement__init(&c)
        withBinaryData(tx.bytes) { tx in
            c.tx = tx
            body(&c)
        }
    }
}

extension ErrorMessage {
    func withUnpacked(_ body: (UnsafeMutablePointer<Paymentchannels__Error>) -> Void) {
        var c = Paymentchannels__Error()
        paymentchannels__error__init(&c)
        if hasCode {
            c.has_code = 1
            c.code = Paymentchannels__Error__ErrorCode(rawValue: .init(truncatingIfNeeded: code.rawValue))
        }
        if let expectedValue {
            c.has_expected_value = 1
            c.expected_value = expectedValue
        }
        if let explanation {
            // protobuf-c writes strlen() bytes: an explanation is cut at its first NUL.
            explanation.withCString { text in
                c.explanation = UnsafeMutablePointer(mutating: text)
                body(&c)
            }
        } else {
            body(&c)
        }
    }
}

/// Calls `body` with a protobuf-c view of `bytes`, valid only during the call.
private func withBinaryData(_ bytes: [UInt8], _ body: (ProtobufCBinaryData) -> Void) {
    bytes.withUnsafeBufferPointer { buffer in
        if let base = buffer.baseAddress {
            body(ProtobufCBinaryData(len: buffer.count, data: UnsafeMutablePointer(mutating: base)))
        } else {
            // Never hand protobuf-c a NULL buffer, even for zero bytes (it memcpy()s from it).
            var placeholder: UInt8 = 0
            withUnsafeMutablePointer(to: &placeholder) { body(ProtobufCBinaryData(len: 0, data: $0)) }
        }
    }
}

/// As `withBinaryData`, passing `nil` for an absent field.
private func withOptionalBinaryData(_ bytes: [UInt8]?, _ body: (ProtobufCBinaryData?) -> Void) {
    if let bytes {
        withBinaryData(bytes) { body($0) }
    } else {
        body(nil)
    }
}
