extension ClientChannel {
    /// Whether a message of `type` from the server is in order in the current state, as
    /// bitcoinj's `PaymentChannelClient` checks it before it reads any field: `SERVER_VERSION`
    /// after `CLIENT_VERSION`, `INITIATE` after `SERVER_VERSION`, `RETURN_REFUND` (version 1) after
    /// `PROVIDE_REFUND`, `CHANNEL_OPEN` after the contract (or, resuming, after `SERVER_VERSION`),
    /// `PAYMENT_ACK` with a payment in flight; `CLOSE` and `ERROR` at any time. Types only a client
    /// sends are never in order.
    func expects(_ type: MessageType) -> Bool {
        // A switch over the type, then `if case` on the state: no copy of the state's payload on
        // the payment path.
        switch type {
        case .serverVersion: if case .awaitingServerVersion = state { return true }
        case .initiate: if case .awaitingInitiate = state { return true }
        case .returnRefund: if case .awaitingRefundSignature = state { return true }
        case .channelOpen:
            if case .awaitingChannelOpen = state { return true }
            if case .awaitingInitiate = state { return resumable != nil }
        case .paymentAck: return paymentsInFlight > 0
        case .close, .error: return true
        case .clientVersion, .provideRefund, .provideContract, .updatePayment: break
        }
        return false
    }

    /// The refusal of a message of `type` that is not in order now.
    func outOfOrder(_ type: MessageType) -> ChannelError {
        switch type {
        case .serverVersion, .initiate, .returnRefund, .channelOpen, .paymentAck, .close, .error:
            return .syntax("\(type) not expected now")
        case .clientVersion, .provideRefund, .provideContract, .updatePayment:
            return .syntax("\(type) is not a message a server sends")
        }
    }
}

extension ClientChannel {
    /// Answers a message the codec refused. State before content, as bitcoinj: a message whose
    /// type could be read but that is not in order now is refused as out of order
    /// (`SYNTAX_ERROR`) whatever its fields hold; one in order is refused with the codec's code.
    mutating func receiveUndecodable(_ error: WireError) -> [ClientEffect] {
        if let type = error.messageType, !expects(type) { return fail(outOfOrder(type)) }
        // As bitcoinj, every MIN_PAYMENT_TOO_LARGE names the largest minimum payment we accept.
        let expected = error.code == .minPaymentTooLarge ? config.maxMinPayment.unsignedSatoshis : nil
        return fail(ChannelError(error.code, error.explanation, expectedValue: expected))
    }
}
