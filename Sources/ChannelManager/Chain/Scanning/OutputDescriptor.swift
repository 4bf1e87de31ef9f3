import BitcoinPrimitives

/// An output descriptor (BIP380) for one key, `wpkh(KEY)` (BIP382) or `pkh(KEY)` (BIP381), as
/// Bitcoin Core's `scantxoutset` and `importdescriptors` take them.
public struct OutputDescriptor: Sendable, Hashable, CustomStringConvertible {
    /// Which script of the key the descriptor stands for.
    public enum Kind: Sendable, Hashable {
        /// P2WPKH.
        case wpkh
        /// P2PKH.
        case pkh
    }

    /// Which script of the key.
    public let kind: Kind
    /// The key.
    public let publicKey: PublicKey

    /// `wpkh(publicKey)`: the key's P2WPKH script.
    public static func wpkh(_ publicKey: PublicKey) -> OutputDescriptor {
        OutputDescriptor(kind: .wpkh, publicKey: publicKey)
    }
    /// `pkh(publicKey)`: the key's P2PKH script.
    public static func pkh(_ publicKey: PublicKey) -> OutputDescriptor {
        OutputDescriptor(kind: .pkh, publicKey: publicKey)
    }

    /// The script the descriptor stands for.
    public var scriptPubKey: Script {
        switch kind {
        case .wpkh: return .p2wpkh(publicKey: publicKey)
        case .pkh: return .p2pkh(publicKey: publicKey)
        }
    }

    /// The descriptor without its checksum, `wpkh(02…)`.
    public var body: String {
        switch kind {
        case .wpkh: return "wpkh(\(publicKey.bytes.hex))"
        case .pkh: return "pkh(\(publicKey.bytes.hex))"
        }
    }

    /// The descriptor with its checksum, `wpkh(02…)#xxxxxxxx`.
    public var description: String { body + "#" + Self.checksum(of: body) }

    /// The 8-character BIP380 checksum of any descriptor `body`; empty when `body` holds a
    /// character descriptors do not allow.
    public static func checksum(of body: String) -> String { DescriptorChecksum.checksum(of: body) }
}

/// The 8-character checksum of a descriptor (BIP380).
enum DescriptorChecksum {
    private static let inputCharset = Array(
        "0123456789()[],'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#\"\\ ".utf8)
    private static let checksumCharset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let generator: [UInt64] = [
        0xf5_dee5_1989, 0xa9_fdca_3312, 0x1b_ab10_e32d, 0x37_06b1_677a, 0x64_4d62_6ffd,
    ]

    /// The checksum of `body`; empty when `body` holds a character descriptors do not allow.
    static func checksum(of body: String) -> String {
        var symbols: [UInt64] = []
        var groups: [UInt64] = []
        for character in body.utf8 {
            guard let position = inputCharset.firstIndex(of: character) else { return "" }
            let value = UInt64(position)
            symbols.append(value & 31)
            groups.append(value >> 5)
            if groups.count == 3 {
                symbols.append(groups[0] * 9 + groups[1] * 3 + groups[2])
                groups = []
            }
        }
        if groups.count == 1 { symbols.append(groups[0]) }
        if groups.count == 2 { symbols.append(groups[0] * 3 + groups[1]) }
        symbols += Array(repeating: 0, count: 8)
        let checksum = polymod(symbols) ^ 1
        return String(
            decoding: (0..<8).map { checksumCharset[Int((checksum >> (5 * (7 - UInt64($0)))) & 31)] }, as: UTF8.self)
    }

    private static func polymod(_ symbols: [UInt64]) -> UInt64 {
        var checksum: UInt64 = 1
        for value in symbols {
            let top = checksum >> 35
            checksum = ((checksum & 0x7_ffff_ffff) << 5) ^ value
            for bit in 0..<5 where (top >> UInt64(bit)) & 1 == 1 { checksum ^= generator[bit] }
        }
        return checksum
    }
}
