/// A BIP32 derivation path such as `m/0'/1/2'`: the child numbers to follow from a key.
public struct DerivationPath: Hashable, Sendable, CustomStringConvertible {
    /// The child numbers, from the key the path starts at.
    public let components: [ChildNumber]

    /// The most components a path may have (the serialized depth is one byte).
    public static let maxDepth = 255

    /// A path of these child numbers.
    public init(_ components: [ChildNumber]) { self.components = components }

    /// Parses `m` followed by any number of `/index` components, each an index below 2³¹ in
    /// decimal, optionally followed by `'`, `h` or `H` for a hardened child (`m/0'/1/2h`).
    /// `M` is accepted for `m`, as bitcoinj writes paths.
    public init(_ string: String) throws(KeyDerivationError) {
        var parts = string.split(separator: "/", omittingEmptySubsequences: false)[...]
        guard let root = parts.popFirst(), root == "m" || root == "M" else {
            throw .invalidPath("a path starts with \"m\"")
        }
        guard parts.count <= Self.maxDepth else { throw .invalidPath("more than \(Self.maxDepth) components") }
        var components: [ChildNumber] = []
        components.reserveCapacity(parts.count)
        for part in parts {
            components.append(try Self.parseComponent(part))
        }
        self.components = components
    }

    private static func parseComponent(_ part: Substring) throws(KeyDerivationError) -> ChildNumber {
        var digits = part
        let hardened = digits.last.map { $0 == "'" || $0 == "h" || $0 == "H" } ?? false
        if hardened { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.count <= 10, digits.allSatisfy({ ("0"..."9").contains($0) }),
            let index = UInt32(digits), index < ChildNumber.hardenedFlag
        else { throw .invalidPath("\"\(part.prefix(16))\" is not an index below 2^31") }
        return ChildNumber(rawValue: hardened ? index | ChildNumber.hardenedFlag : index)
    }

    /// This path followed by `child`.
    public func appending(_ child: ChildNumber) -> DerivationPath { DerivationPath(components + [child]) }

    /// `m`, then `/index` per component, hardened ones marked `'`.
    public var description: String { (["m"] + components.map(\.description)).joined(separator: "/") }
}
