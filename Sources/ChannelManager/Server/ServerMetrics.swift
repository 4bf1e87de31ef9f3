import ChannelStateMachine
import Logging
import Metrics

/// The server's counters (swift-metrics; a no-op unless the application bootstraps a backend).
/// Names follow Prometheus's conventions: `paychan_server_` prefix, `_total` for counters,
/// seconds and satoshis as units.
struct ServerMetrics: Sendable {
    let channelsOpened = Counter(label: "paychan_server_channels_opened_total")
    let channelsResumed = Counter(label: "paychan_server_channels_resumed_total")
    let channelsSettled = Counter(label: "paychan_server_channels_settled_total")
    /// Sessions that ended with our `ERROR` before any channel was open (a contract, value or
    /// version we would not accept).
    let channelsRefused = Counter(label: "paychan_server_channels_refused_total")
    /// Channels open on a connection now.
    let channelsOpen = Meter(label: "paychan_server_channels_open")
    let payments = Counter(label: "paychan_server_payments_received_total")
    let receivedSatoshis = Counter(label: "paychan_server_received_satoshis_total")
    /// From a payment's arrival to its acknowledgment (released once the payment is durable).
    let paymentDuration = Timer(label: "paychan_server_payment_duration_seconds")
    let errors = Counter(label: "paychan_server_errors_total")
    let broadcastsRefused = Counter(label: "paychan_server_broadcasts_refused_total")

    func record(_ event: ServerManagerEvent) {
        switch event {
        case .channel(.channelOpened(_, _, _, _, let resumed), _):
            (resumed ? channelsResumed : channelsOpened).increment()
        case .channel(.paymentReceived(_, let amount, _, _), _):
            payments.increment()
            receivedSatoshis.increment(by: amount.satoshis)
        case .channel(.settled, _):
            channelsSettled.increment()
        case .channel(.closed(.localError), _), .failure:
            errors.increment()
        case .broadcast(_, _, let accepted):
            if !accepted { broadcastsRefused.increment() }
        default:
            break
        }
    }
}

extension ServerManager {
    /// One log line per channel event (payments at trace level); never keys or signatures.
    func log(_ event: ServerManagerEvent) {
        switch event {
        case .channel(let event, let session):
            // Formatted only for the lines that show it (not per payment).
            var who: String { session.map { "session \($0)" } ?? "offline" }
            switch event {
            case .channelOpened(let txid, let value, let expiry, let version, let resumed):
                let verb = resumed ? "resumed" : "opened"
                logger.info(
                    "channel \(txid.displayHex) \(verb) (\(who)): value \(value), expiry \(expiry), v\(version.rawValue)"
                )
            case .paymentReceived(let txid, let amount, let total, _):
                logger.trace("channel \(txid.displayHex): paid \(amount), total \(total)")
            case .settled(let txid, let settlement, let fee):
                logger.info(
                    "channel \(txid.displayHex) settled by \(settlement.txid.displayHex), fee \(fee) (\(who))")
            case .settlementImpossible(let txid, let reason):
                logger.warning("channel \(txid.displayHex) cannot be settled: \(reason)")
            case .closed(let reason):
                logger.info("\(who) closed: \(reason)")
            }
        case .broadcast(let tx, let purpose, let accepted):
            logger.debug("broadcast \(purpose) \(tx.txid.displayHex): \(accepted ? "accepted" : "refused")")
        case .settlementBumped(let txid, let settlement, let rate):
            logger.notice("channel \(txid.displayHex): settlement replaced by \(settlement.txid.displayHex) at \(rate)")
        case .failure(let message):
            logger.error("\(message)")
        }
    }
}
