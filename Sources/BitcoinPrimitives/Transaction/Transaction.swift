/// A Bitcoin transaction.
///
/// Serialization follows Bitcoin Core: the legacy form when no input has a witness, otherwise the
/// BIP144 form (marker 0x00, flag 0x01, witnesses after the outputs). Parsing accepts both and
/// never traps; see ``init(bytes:)``.
public struct Transaction: Hashable, Sendable {
    /// The transaction version (2 enables relative lock times).
    public var version: Int32
    /// The inputs, in order.
    public var inputs: [TransactionInput]
    /// The outputs, in order.
    public var outputs: [TransactionOutput]
    /// The lock time: a block height below 500,000,000, else a Unix time (in force unless every
    /// input's sequence is final).
    public var lockTime: UInt32

    /// A transaction of these fields.
    public init(
        version: Int32 = 1, inputs: [TransactionInput] = [], outputs: [TransactionOutput] = [],
        lockTime: UInt32 = 0
    ) {
        self.version = version
        self.inputs = inputs
        self.outputs = outputs
        self.lockTime = lockTime
    }

    /// Whether any input carries a witness (and so the BIP144 form is used).
    public var hasWitness: Bool { inputs.contains { !$0.witness.isEmpty } }

    /// Whether this is a coinbase transaction (one input spending the null outpoint).
    public var isCoinbase: Bool { inputs.count == 1 && inputs[0].previousOutput.isNull }

    /// The serialized transaction, with witnesses when it has any.
    public var serialized: [UInt8] { serialize(includingWitness: true) }

    /// The serialization without witnesses (what the txid hashes).
    public var serializedWithoutWitness: [UInt8] { serialize(includingWitness: false) }

    /// The transaction id: hash256 of the serialization without witnesses.
    public var txid: Hash256 { Hashing.sha256d(serializedWithoutWitness) }

    /// The witness transaction id: hash256 of the full serialization (equals the txid when
    /// there are no witnesses).
    public var wtxid: Hash256 { Hashing.sha256d(serialized) }

    /// Size in bytes of the serialization without witnesses.
    public var baseSize: Int { serializedWithoutWitness.count }

    /// Size in bytes of the full serialization.
    public var totalSize: Int { serialized.count }

    /// BIP141 weight: base size × 3 + total size.
    public var weight: Int { baseSize * 3 + totalSize }

    /// BIP141 virtual size: weight / 4, rounded up.
    public var virtualSize: Int { (weight + 3) / 4 }

    /// The sum of the output values; throws if it exceeds the 21e6 BTC cap.
    public func totalOutputValue() throws(AmountError) -> Amount {
        try Amount.sum(outputs.map(\.value))
    }

    func serialize(includingWitness: Bool) -> [UInt8] {
        let witness = includingWitness && hasWitness
        var writer = ByteWriter(capacity: 10 + inputs.count * 150 + outputs.count * 40)
        writer.writeUInt32LE(UInt32(bitPattern: version))
        if witness {
            writer.write(0x00)
            writer.write(0x01)
        }
        writer.writeCompactSize(UInt64(inputs.count))
        for input in inputs {
            writer.write(input.previousOutput.txid.internalBytes)
            writer.writeUInt32LE(input.previousOutput.index)
            writer.writeVarBytes(input.scriptSig.bytes)
            writer.writeUInt32LE(input.sequence)
        }
        writer.writeCompactSize(UInt64(outputs.count))
        for output in outputs {
            writer.writeInt64LE(output.value.satoshis)
            writer.writeVarBytes(output.scriptPubKey.bytes)
        }
        if witness {
            for input in inputs {
                writer.writeCompactSize(UInt64(input.witness.count))
                for item in input.witness { writer.writeVarBytes(item) }
            }
        }
        writer.writeUInt32LE(lockTime)
        return writer.bytes
    }
}
