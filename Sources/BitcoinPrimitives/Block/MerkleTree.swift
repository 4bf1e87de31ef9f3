/// Bitcoin's merkle tree over 32-byte hashes (Bitcoin Core's `ComputeMerkleRoot`): pairs are
/// hashed with hash256, an odd hash at the end of a level is paired with itself.
public enum MerkleTree {
    /// The root of `leaves` and whether the tree is *mutated*: two identical hashes paired at
    /// some level (CVE-2012-2459), which lets a different list of transactions have the same
    /// root. `nil` root for no leaves.
    public static func root(of leaves: [Hash256]) -> (root: Hash256?, mutated: Bool) {
        guard !leaves.isEmpty else { return (nil, false) }
        var level = leaves
        var mutated = false
        var pair = [UInt8](repeating: 0, count: 64)
        while level.count > 1 {
            var next: [Hash256] = []
            next.reserveCapacity((level.count + 1) / 2)
            var index = 0
            while index < level.count {
                let left = level[index]
                let right = index + 1 < level.count ? level[index + 1] : left
                if index + 1 < level.count && left == right { mutated = true }
                pair.replaceSubrange(0..<32, with: left.internalBytes)
                pair.replaceSubrange(32..<64, with: right.internalBytes)
                next.append(Hashing.sha256d(pair))
                index += 2
            }
            level = next
        }
        return (level[0], mutated)
    }
}
