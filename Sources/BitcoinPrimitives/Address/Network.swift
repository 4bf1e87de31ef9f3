/// A Bitcoin network, with the prefixes its addresses and extended keys use.
///
/// Testnet, signet and regtest share their base58 version bytes and extended-key versions, and
/// testnet and signet share the bech32 prefix `tb`, so some strings are valid on several
/// networks.
public enum Network: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// The Bitcoin network.
    case mainnet
    /// The public test network (testnet3 and testnet4 share these prefixes).
    case testnet
    /// The signed test network (BIP325).
    case signet
    /// A local regression-test network.
    case regtest

    /// The version byte of base58 P2PKH addresses (`1…` on mainnet, `m…`/`n…` elsewhere).
    public var p2pkhVersion: UInt8 { self == .mainnet ? 0x00 : 0x6f }

    /// The version byte of base58 P2SH addresses (`3…` on mainnet, `2…` elsewhere).
    public var p2shVersion: UInt8 { self == .mainnet ? 0x05 : 0xc4 }

    /// The human-readable part of segwit addresses (BIP173): `bc`, `tb`, `tb`, `bcrt`.
    public var bech32HRP: String {
        switch self {
        case .mainnet: return "bc"
        case .testnet, .signet: return "tb"
        case .regtest: return "bcrt"
        }
    }

    /// The BIP32 version of serialized extended public keys (`xpub…`, or `tpub…` off mainnet).
    public var extendedPublicKeyVersion: UInt32 { self == .mainnet ? 0x0488_b21e : 0x0435_87cf }

    /// The BIP32 version of serialized extended private keys (`xprv…`, or `tprv…` off mainnet).
    public var extendedPrivateKeyVersion: UInt32 { self == .mainnet ? 0x0488_ade4 : 0x0435_8394 }

    /// The case name: `mainnet`, `testnet`, `signet` or `regtest`.
    public var description: String { rawValue }
}
