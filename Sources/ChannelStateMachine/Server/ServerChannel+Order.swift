extension ServerChannel {
    /// Whether a message of `type` from the client is in order in the current state, as bitcoinj's
    /// `PaymentChannelServer` checks it before it reads any field: `CLIENT_VERSION` first,
    /// `PROVIDE_REFUND` (version 1) after `INITIATE`, `PROVIDE_CONTRACT` after `INITIATE` (and in
    /// version 1 after the refund), `UPDATE_PAYMENT` on an open channel; `CLOSE` and `ERROR` at any
    /// time. Types only a server sends are never in order.
    func expects(_ type: MessageType) -> Bool {
        // A switch over the type, then `if case` on the state: no copy of the state's payload on
        // the payment path.
        switch type {
        case .clientVersion: if case .awaitingClientVersion = state { return true }
        case .provideRefund: if case .awaitingRefund = state { return true }
        case .provideContract: if case .awaitingContract = state { return true }
        case .updatePayment: if case .ready = state { return true }
        case .close, .error: return true
        case .serverVersion, .initiate, .returnRefund, .channelOpen, .paymentAck: break
        }
        return false
    }

    /// The refusal of a message of `type` that is not in order now.
    func outOfOrder(_ type: MessageType) -> ChannelError {
        switch type {
        case .clientVersion, .provideRefund, .provideContract, .updatePayment, .close, .error:
            return .syntax("\(type) not expected now")
        case .serverVersion, .initiate, .returnRefund, .channelOpen, .paymentAck:
            return .syntax("\(type) is not a message a client sends")
        }
    }

    /// Answers a message the codec refused. State before content, as bitcoinj: a message whose
    /// type could be read but that is not in order now is refused as out of order
    /// (`SYNTAX_ERROR`) whatever its fields hold; one in order is refused with the codec's code.
    /// `CLOSE`'s settlement is never read by a server (bitcoinj ignores it), so a `CLOSE` whose
    /// settlement does not parse is a plain `CLOSE`.
    mutating func receiveUndecodable(_ error: WireError, now: UInt64) -> [ServerEffect] {
        guard let type = error.messageType else { return fail(ChannelError(error.code, error.explanation)) }
        if type == .close { return receive(.close(nil), now: now) }
        guard expects(type) else { return fail(outOfOrder(type)) }
        return fail(ChannelError(error.code, error.explanation))
    }
}
