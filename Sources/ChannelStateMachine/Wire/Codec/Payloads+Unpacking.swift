import BitcoinPrimitives
import CShims

// Conversions from the structs protobuf-c unpacks to the payload types, with the field checks.
// The C structs are only read here; the caller frees them.

extension ClientVersion {
    init(unpacked c: Paymentchannels__ClientVersion) throws(WireError) {
        var hash: Hash256?
        if c.has_previous_channel_contract_hash != 0 {
            hash = try WireValidation.displayOrderHash(
                c.previous_channel_contract_hash.bytes, field: "ClientVersion.previous_channel_contract_hash",
                messageType: .clientVersion)
        }
        self.init(
            major: c.major, minor: c.has_minor != 0 ? c.minor : nil, previousChannelContractHash: hash,
            timeWindowSecs: c.has_time_window_secs != 0 ? c.time_window_secs : nil)
    }
}

extension ServerVersion {
    init(unpacked c: Paymentchannels__ServerVersion) {
        self.init(major: c.major, minor: c.has_minor != 0 ? c.minor : nil)
    }
}

extension Initiate {
    init(unpacked c: Paymentchannels__Initiate) throws(WireError) {
        self.init(
            multisigKey: try WireValidation.publicKey(
                c.multisig_key.bytes, field: "Initiate.multisig_key", messageType: .initiate),
            minAcceptedChannelSize: c.min_accepted_channel_size, expireTimeSecs: c.expire_time_secs,
            minPayment: c.min_payment)
        _ = try minAcceptedChannelAmount()
        _ = try minPaymentAmount()
    }
}

extension ProvideRefund {
    init(unpacked c: Paymentchannels__ProvideRefund) throws(WireError) {
        self.init(
            multisigKey: try WireValidation.publicKey(
                c.multisig_key.bytes, field: "ProvideRefund.multisig_key", messageType: .provideRefund),
            tx: try WireValidation.transaction(c.tx.bytes, field: "ProvideRefund.tx", messageType: .provideRefund))
    }
}

extension ReturnRefund {
    init(unpacked c: Paymentchannels__ReturnRefund) throws(WireError) {
        self.init(
            signature: try WireValidation.signature(
                c.signature.bytes, field: "ReturnRefund.signature", messageType: .returnRefund))
    }
}

extension ProvideContract {
    init(unpacked c: Paymentchannels__ProvideContract) throws(WireError) {
        let tx = try WireValidation.transaction(
            c.tx.bytes, field: "ProvideContract.tx", messageType: .provideContract)
        // protobuf-c has checked the required field; the guard only keeps this total.
        guard let payment = c.initial_payment else {
            throw WireError(
                reason: .malformed, code: .syntaxError, explanation: "ProvideContract without initial_payment",
                messageType: .provideContract)
        }
        let initialPayment = try UpdatePayment(unpacked: payment.pointee, messageType: .provideContract)
        var clientKey: PublicKey?
        if c.has_client_key != 0 {
            clientKey = try WireValidation.publicKey(
                c.client_key.bytes, field: "ProvideContract.client_key", messageType: .provideContract)
        }
        self.init(tx: tx, initialPayment: initialPayment, clientKey: clientKey)
    }
}

extension UpdatePayment {
    init(unpacked c: Paymentchannels__UpdatePayment, messageType: MessageType) throws(WireError) {
        let signature = try WireValidation.signature(
            c.signature.bytes, field: "UpdatePayment.signature", messageType: messageType)
        _ = try WireValidation.amount(
            c.client_change_value, field: "UpdatePayment.client_change_value", code: .badTransaction,
            messageType: messageType)
        self.init(
            clientChangeValue: c.client_change_value, signature: signature,
            info: c.has_info != 0 ? c.info.bytes : nil)
    }
}

extension PaymentAck {
    init(unpacked c: Paymentchannels__PaymentAck) {
        self.init(info: c.has_info != 0 ? c.info.bytes : nil)
    }
}

extension Settlement {
    init(unpacked c: Paymentchannels__Settlement) throws(WireError) {
        self.init(tx: try WireValidation.transaction(c.tx.bytes, field: "Settlement.tx", messageType: .close))
    }
}

extension ErrorMessage {
    init(unpacked c: Paymentchannels__Error) {
        var code: ErrorCode?
        if c.has_code != 0 {
            // Unknown numbers read as absent, as protobuf-java reads them.
            code = ErrorCode(rawValue: Int32(truncatingIfNeeded: c.code.rawValue))
        }
        self.init(
            code: code, explanation: c.explanation.map { String(cString: $0) },
            expectedValue: c.has_expected_value != 0 ? c.expected_value : nil)
    }
}

extension ProtobufCBinaryData {
    /// A copy of the bytes (empty when protobuf-c stored no buffer).
    var bytes: [UInt8] {
        guard let data, len > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: len))
    }
}
