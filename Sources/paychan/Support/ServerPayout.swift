import BitcoinPrimitives
import ChannelManager

/// Where a `paychan server` sends its share of every settlement: P2WPKH of the first wallet
/// receive key of its seed (`m/1017'/2'/0'`), so `paychan close` on the same directory pays
/// the same place.
enum ServerPayout {
    static func script(_ keychain: ChannelKeychain) throws(CommandFailure) -> Script {
        do { return .p2wpkh(publicKey: try keychain.key(.walletReceive, index: 0).publicKey) } catch {
            throw CommandFailure("cannot derive the payout key: \(error)")
        }
    }
}
