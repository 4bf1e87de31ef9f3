/// BIP141's witness commitment: a coinbase output committing to the merkle root of the block's
/// wtxids (the coinbase's counted as zero) together with the coinbase's witness reserved value.
public enum WitnessCommitment {
    /// The output script prefix: `OP_RETURN`, a 36-byte push, and the tag `aa21a9ed`.
    public static let scriptPrefix: [UInt8] = [0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed]

    /// The commitment in `coinbase`: the 32 bytes after the prefix in the last output whose
    /// script starts with ``scriptPrefix`` and is at least 38 bytes long (as Bitcoin Core finds
    /// it), or `nil` when there is none.
    public static func commitment(in coinbase: Transaction) -> [UInt8]? {
        guard
            let output = coinbase.outputs.last(where: { output in
                output.scriptPubKey.count >= 38 && output.scriptPubKey.bytes.starts(with: scriptPrefix)
            })
        else { return nil }
        return Array(output.scriptPubKey.bytes[6..<38])
    }

    /// The commitment of `transactions` (the coinbase first) with `reservedValue`:
    /// hash256(witness merkle root ‖ reserved value).
    public static func commitment(of transactions: [Transaction], reservedValue: [UInt8]) -> [UInt8] {
        let leaves = transactions.indices.map { $0 == 0 ? Hash256.zero : transactions[$0].wtxid }
        let root = MerkleTree.root(of: leaves).root ?? .zero
        return Hashing.sha256d(root.internalBytes + reservedValue).internalBytes
    }

    /// The output script carrying `commitment`.
    public static func script(committing commitment: [UInt8]) -> Script {
        Script(bytes: scriptPrefix + commitment)
    }
}
