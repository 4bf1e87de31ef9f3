import BitcoinPrimitives

/// The chain names Core reports (`getblockchaininfo.chain`) and the networks they are.
public enum CoreChainName {
    /// The network of Core's chain `name`: `main`, `test` (testnet3), `testnet4`, `signet`,
    /// `regtest`; nil for a name Core does not use.
    public static func network(_ name: String) -> Network? {
        switch name {
        case "main": return .mainnet
        case "test", "testnet4": return .testnet
        case "signet": return .signet
        case "regtest": return .regtest
        default: return nil
        }
    }

    /// The subdirectory of Core's data directory that holds `network`'s files (its `.cookie`):
    /// none for mainnet, `testnet3`, `signet`, `regtest` (testnet4 uses `testnet4`).
    public static func dataSubdirectory(_ network: Network) -> String? {
        switch network {
        case .mainnet: return nil
        case .testnet: return "testnet3"
        case .signet: return "signet"
        case .regtest: return "regtest"
        }
    }

    /// Core's default RPC port for `network`: 8332, 18332 (testnet3), 38332, 18443.
    public static func defaultRPCPort(_ network: Network) -> Int {
        switch network {
        case .mainnet: return 8_332
        case .testnet: return 18_332
        case .signet: return 38_332
        case .regtest: return 18_443
        }
    }
}
