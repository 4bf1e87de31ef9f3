import BitcoinPrimitives
import ChannelStateMachine
import Logging

extension TransactionBroadcaster {
    /// Broadcasts `transaction`, logging a refusal; true when the backend accepted it.
    func broadcastLoggingRefusal(_ transaction: Transaction, _ purpose: BroadcastPurpose, logger: Logger) async
        -> Bool
    {
        do {
            try await broadcast(transaction)
            return true
        } catch {
            logger.warning("broadcast of \(purpose) \(transaction.txid.displayHex) refused: \(error)")
            return false
        }
    }
}
