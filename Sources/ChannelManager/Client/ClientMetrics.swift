import ChannelStateMachine
import Logging
import Metrics

/// The client's counters (swift-metrics; a no-op unless the application bootstraps a backend).
struct ClientMetrics: Sendable {
    let channelsOpened = Counter(label: "paychan_client_channels_opened_total")
    let channelsResumed = Counter(label: "paychan_client_channels_resumed_total")
    let payments = Counter(label: "paychan_client_payments_acknowledged_total")
    let paidSatoshis = Counter(label: "paychan_client_paid_satoshis_total")
    /// From asking to pay to the server's acknowledgment.
    let paymentDuration = Timer(label: "paychan_client_payment_duration_seconds")
    let refunds = Counter(label: "paychan_client_refunds_total")
    let errors = Counter(label: "paychan_client_errors_total")

    func record(_ event: ClientManagerEvent) {
        switch event {
        case .channel(.channelOpened(_, _, _, _, let resumed), _):
            (resumed ? channelsResumed : channelsOpened).increment()
        case .channel(.paymentAcknowledged(let amount, _, _), _):
            payments.increment()
            paidSatoshis.increment(by: amount.satoshis)
        case .refunded:
            refunds.increment()
        case .channel(.closed(.localError), _), .failure:
            errors.increment()
        default:
            break
        }
    }
}

extension ClientManager {
    /// One log line per channel event (payments at trace level); never keys or signatures.
    func log(_ event: ClientManagerEvent) {
        switch event {
        case .channel(let event, let session):
            switch event {
            case .channelOpened(let txid, let value, let valueLeft, let expiry, let resumed):
                let verb = resumed ? "reopened" : "opened"
                logger.info(
                    "channel \(txid.displayHex) \(verb) (session \(session)): value \(value), left \(valueLeft), expiry \(expiry)"
                )
            case .resumeRefused(let txid):
                logger.info("session \(session): server would not resume \(txid.displayHex); opening a new channel")
            case .paymentAcknowledged(let amount, let valueLeft, _):
                logger.trace("session \(session): payment of \(amount) acknowledged, \(valueLeft) left")
            case .paymentsFailed(let count, let reason):
                logger.warning("session \(session): \(count) payments in flight failed: \(reason)")
            case .settled(let txid, let settlement):
                logger.info("channel \(txid.displayHex) settled by \(settlement.txid.displayHex)")
            case .closed(let reason):
                logger.info("session \(session) closed: \(reason)")
            }
        case .broadcast(let tx, let purpose, let accepted):
            logger.debug("broadcast \(purpose) \(tx.txid.displayHex): \(accepted ? "accepted" : "refused")")
        case .refunded(let txid, let refund):
            logger.notice("channel \(txid.displayHex) refunded by \(refund.txid.displayHex)")
        case .settledOnChain(let txid, let spender):
            logger.info("channel \(txid.displayHex) found settled on chain by \(spender.displayHex)")
        case .failure(let message):
            logger.error("\(message)")
        }
    }
}
