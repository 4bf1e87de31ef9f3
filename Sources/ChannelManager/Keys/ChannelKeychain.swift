import BitcoinPrimitives

/// Derives every private key Paychan uses from the seed, with hardened BIP32 steps only:
/// `m/1017'/family'/index'`. Only the family and index are ever stored; a copy of the database
/// reveals no private key, and no derived public key leads to another.
public struct ChannelKeychain: Sendable {
    /// The first path component under the master key.
    public static let purpose: UInt32 = 1017

    private let familyKeys: [KeyFamily: ExtendedPrivateKey]

    /// A keychain for `seed` (16 to 64 bytes; Paychan's seed files hold 32).
    public init(seed: [UInt8]) throws(KeyDerivationError) {
        let root = try ExtendedPrivateKey(seed: seed).derived(.hardened(Self.purpose))
        var keys: [KeyFamily: ExtendedPrivateKey] = [:]
        for family in KeyFamily.allCases { keys[family] = try root.derived(.hardened(family.rawValue)) }
        familyKeys = keys
    }

    /// The key at `m/1017'/family'/index'`.
    public func key(_ family: KeyFamily, index: UInt32) throws(KeyDerivationError) -> PrivateKey {
        guard let parent = familyKeys[family] else { throw .invalidPath("unknown key family") }
        return try parent.derived(.hardened(index)).privateKey
    }

    /// The derivation path of a key, for display.
    public static func path(_ family: KeyFamily, index: UInt32) -> String {
        "m/\(purpose)'/\(family.rawValue)'/\(index)'"
    }
}
