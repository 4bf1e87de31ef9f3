/// A transaction output: an amount and the script that locks it.
public struct TransactionOutput: Hashable, Sendable {
    /// The amount the output holds.
    public var value: Amount
    /// The script that locks it.
    public var scriptPubKey: Script

    /// An output of `value` locked by `scriptPubKey`.
    public init(value: Amount, scriptPubKey: Script) {
        self.value = value
        self.scriptPubKey = scriptPubKey
    }

    /// Serialized size: 8-byte value, CompactSize length, script.
    public var serializedSize: Int {
        8 + ByteWriter.compactSizeLength(UInt64(scriptPubKey.count)) + scriptPubKey.count
    }
}
