import ChannelStateMachine
import Dispatch
import Synchronization

/// Signs payments on a queue of its own while the writes they wait for are under way
/// (``ClientManagerConfig/signsWhileWriting``): a sequential payment then costs the client its
/// durable write, not its write plus its signature.
///
/// The queue only gets ahead: a payment whose write is durable before the queue reached it is
/// signed by the session itself (``SigningPayment/message()``), so no payment ever waits for
/// the queue.
final class PaymentSigner: Sendable {
    private let queue = DispatchQueue(label: "paychan.client.payment-signing", qos: .userInitiated)

    /// Starts signing `payment` in the background.
    func start(_ signing: SigningPayment) {
        queue.async { signing.signIfUnclaimed() }
    }
}

/// The `UPDATE_PAYMENT` of one ``PendingPayment``: made by a ``PaymentSigner``'s queue, or by
/// whoever asks for it first.
///
/// Whoever claims it first signs it. A session that needs the message while the queue is still
/// signing signs it too, rather than wait: the signature is deterministic, so both make the
/// same bytes.
final class SigningPayment: Sendable {
    let payment: PendingPayment
    private let claimed = Atomic<Bool>(false)
    private let signed = Mutex<ChannelMessage?>(nil)

    init(_ payment: PendingPayment) {
        self.payment = payment
    }

    /// On the signing queue: signs unless the session already claimed the payment.
    func signIfUnclaimed() {
        guard claim() else { return }
        let message = payment.signedUpdate()
        signed.withLock { $0 = message }
    }

    /// The signed message: the queue's, when it has finished; otherwise signed now.
    func message() -> ChannelMessage {
        if let message = signed.withLock({ $0 }) { return message }
        _ = claim()  // the queue, should it get here later, leaves it alone
        return payment.signedUpdate()
    }

    /// Whether the background signature is made (for tests).
    var isSigned: Bool { signed.withLock { $0 != nil } }

    private func claim() -> Bool {
        claimed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }
}
