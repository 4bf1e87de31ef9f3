import BitcoinPrimitives
import ChannelStateMachine

/// The order in which every store returns lists: channels by expiry (then contract txid), wallet
/// outputs by txid (display order) and index. Comparisons work on bytes, without building
/// strings. Public so that store adapters return lists in the same order.
public enum StoreOrdering {
    /// Whether `a` comes before `b` in a list of server channels.
    public static func server(_ a: ServerChannelRecord, _ b: ServerChannelRecord) -> Bool {
        a.expiry != b.expiry ? a.expiry < b.expiry : displayOrderLess(a.contractTxid, b.contractTxid)
    }

    /// Whether `a` comes before `b` in a list of client channels.
    public static func client(_ a: ClientChannelRecord, _ b: ClientChannelRecord) -> Bool {
        a.expiry != b.expiry ? a.expiry < b.expiry : displayOrderLess(a.contractTxid, b.contractTxid)
    }

    /// Whether `a` comes before `b` in a list of wallet outputs.
    public static func wallet(_ a: WalletOutput, _ b: WalletOutput) -> Bool {
        outpoint(a.outpoint, b.outpoint)
    }

    /// Outpoints by txid (display order), then index.
    public static func outpoint(_ a: OutPoint, _ b: OutPoint) -> Bool {
        a.txid != b.txid ? displayOrderLess(a.txid, b.txid) : a.index < b.index
    }

    /// Whether `a`'s display hex sorts before `b`'s: display order is the internal bytes reversed.
    private static func displayOrderLess(_ a: Hash256, _ b: Hash256) -> Bool {
        let x = a.internalBytes
        let y = b.internalBytes
        var index = x.count - 1
        while index >= 0 {
            if x[index] != y[index] { return x[index] < y[index] }
            index -= 1
        }
        return false
    }
}
