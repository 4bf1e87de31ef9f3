import ChannelStateMachine
import Dispatch
import Synchronization

/// Signs payments on a queue of its own while the writes they wait for are under way
/// (``ClientManagerConfig/signsWhileWriting``): a sequential payment then costs the client its
/// durable write, not its write plus its signature.
///
/// The queue only gets ahead: a payment whose write is durable before the queue reached it is
/// signed by the session itself (``SigningPayment/encodedMessage()``), so no payment ever waits for
/// the queue. And it takes one payment at a time: while it is signing, the next payment is
/// signed at once by its caller, as without the queue. Under load (many channels, pipelined
/// payments) the cores have other work, and handing signatures over would only add hops.
final class PaymentSigner: Sendable {
    private let queue: DispatchQueue
    private let busy = Atomic<Bool>(false)

    /// A signer on `queue` (a serial queue of its own by default).
    init(queue: DispatchQueue = DispatchQueue(label: "paychan.client.payment-signing", qos: .userInitiated)) {
        self.queue = queue
    }

    /// Starts signing `signing` on the queue when it is idle; signs it now otherwise.
    func start(_ signing: SigningPayment) {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            signing.signIfUnclaimed()
            return
        }
        handed.add(1, ordering: .relaxed)
        queue.async { [self] in
            signing.signIfUnclaimed()
            busy.store(false, ordering: .releasing)
        }
    }

    /// How many payments the queue has been handed so far (for tests).
    var handedOver: Int { handed.load(ordering: .relaxed) }
    private let handed = Atomic<Int>(0)
}

/// The encoded `UPDATE_PAYMENT` of one ``PendingPayment``: made (signed and encoded) by a
/// ``PaymentSigner``'s queue, or by whoever asks for it first.
///
/// Whoever claims it first signs it. A session that needs the message while the queue is still
/// signing signs it too, rather than wait: the signature is deterministic, so both make the
/// same bytes.
final class SigningPayment: Sendable {
    let payment: PendingPayment
    private let claimed = Atomic<Bool>(false)
    private let signed = Mutex<[UInt8]?>(nil)

    init(_ payment: PendingPayment) {
        self.payment = payment
    }

    /// On the signing queue: signs unless the session already claimed the payment.
    func signIfUnclaimed() {
        guard claim() else { return }
        let message = payment.signedUpdate().encoded()
        signed.withLock { $0 = message }
    }

    /// The signed message, encoded: the queue's, when it has finished; otherwise made now.
    func encodedMessage() -> [UInt8] {
        if let message = signed.withLock({ $0 }) { return message }
        _ = claim()  // the queue, should it get here later, leaves it alone
        return payment.signedUpdate().encoded()
    }

    /// Whether the background signature is made (for tests).
    var isSigned: Bool { signed.withLock { $0 != nil } }

    private func claim() -> Bool {
        claimed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }
}
