import BitcoinPrimitives
import ChannelStateMachine

/// The order in which every store returns lists: channels by expiry (then contract txid), wallet
/// outputs by txid (display order) and index.
enum StoreOrdering {
    static func server(_ a: ServerChannelRecord, _ b: ServerChannelRecord) -> Bool {
        (a.expiry, a.contractTxid.displayHex) < (b.expiry, b.contractTxid.displayHex)
    }

    static func client(_ a: ClientChannelRecord, _ b: ClientChannelRecord) -> Bool {
        (a.expiry, a.contractTxid.displayHex) < (b.expiry, b.contractTxid.displayHex)
    }

    static func wallet(_ a: WalletOutput, _ b: WalletOutput) -> Bool {
        (a.outpoint.txid.displayHex, a.outpoint.index) < (b.outpoint.txid.displayHex, b.outpoint.index)
    }
}
