/// Computes the signature hashes of one transaction, sharing the work between inputs.
///
/// For BIP143 (segwit v0) the hashes of all prevouts, all sequences and all outputs are
/// computed at most once, the first time a signature hash needs them, so signing or
/// verifying every input of a transaction hashes the whole transaction only a few times.
/// Legacy signature hashes need no shared state and are forwarded to
/// ``Transaction/legacySignatureHash(inputIndex:scriptCode:type:)``.
///
/// The cache is a value: keep it in a `var` and reuse it for the inputs of the same
/// transaction. It never sees later changes to the transaction it was made from.
public struct SighashCache: Sendable {
    /// The transaction the hashes are computed for.
    public let transaction: Transaction
    private var hashPrevouts: [UInt8]?
    private var hashSequence: [UInt8]?
    private var hashOutputs: [UInt8]?

    /// A cache for `transaction`; nothing is hashed until a signature hash is asked for.
    public init(transaction: Transaction) {
        self.transaction = transaction
    }

    /// The legacy signature hash of an input; see
    /// ``Transaction/legacySignatureHash(inputIndex:scriptCode:type:)``.
    public func legacySignatureHash(inputIndex: Int, scriptCode: Script, type: SighashType) throws(SighashError)
        -> Hash256
    {
        try transaction.legacySignatureHash(inputIndex: inputIndex, scriptCode: scriptCode, type: type)
    }

    /// The BIP143 signature hash of input `inputIndex` spending `amount`.
    ///
    /// `scriptCode` is used as given: for P2WPKH it is `OP_DUP OP_HASH160 <20-byte key hash>
    /// OP_EQUALVERIFY OP_CHECKSIG` (see ``Script/segwitV0ScriptCode(publicKeyHash:)``); for
    /// P2WSH it is the witness script (after the last executed `OP_CODESEPARATOR`, if any).
    /// The whole 32-bit `type` goes into the preimage. SINGLE without a matching output
    /// commits to zero outputs (BIP143 has no "value 1" quirk).
    /// - Throws: ``SighashError/inputIndexOutOfRange(index:inputCount:)``.
    public mutating func segwitV0SignatureHash(
        inputIndex: Int, scriptCode: Script, amount: Amount, type: SighashType
    ) throws(SighashError) -> Hash256 {
        let inputs = transaction.inputs
        guard inputs.indices.contains(inputIndex) else {
            throw .inputIndexOutOfRange(index: inputIndex, inputCount: inputs.count)
        }
        let base = type.base
        let zero = Hash256.zero.internalBytes
        let prevouts = type.anyoneCanPay ? zero : prevoutsHash()
        let sequences = type.anyoneCanPay || base != .all ? zero : sequencesHash()
        let outputsDigest: [UInt8]
        switch base {
        case .all:
            outputsDigest = outputsHash()
        case .single where inputIndex < transaction.outputs.count:
            let output = transaction.outputs[inputIndex]
            var writer = ByteWriter(capacity: output.serializedSize)
            writer.writeInt64LE(output.value.satoshis)
            writer.writeVarBytes(output.scriptPubKey.bytes)
            outputsDigest = Hashing.sha256d(writer.bytes).internalBytes
        default:
            outputsDigest = zero
        }

        let input = inputs[inputIndex]
        let size =
            4 + 32 + 32 + 36 + ByteWriter.compactSizeLength(UInt64(scriptCode.count)) + scriptCode.count
            + 8 + 4 + 32 + 4 + 4
        var writer = ByteWriter(capacity: size)
        writer.writeUInt32LE(UInt32(bitPattern: transaction.version))
        writer.write(prevouts)
        writer.write(sequences)
        writer.write(input.previousOutput.txid.internalBytes)
        writer.writeUInt32LE(input.previousOutput.index)
        writer.writeVarBytes(scriptCode.bytes)
        writer.writeInt64LE(amount.satoshis)
        writer.writeUInt32LE(input.sequence)
        writer.write(outputsDigest)
        writer.writeUInt32LE(transaction.lockTime)
        writer.writeUInt32LE(type.rawValue)
        return Hashing.sha256d(writer.bytes)
    }

    private mutating func prevoutsHash() -> [UInt8] {
        if let hashPrevouts { return hashPrevouts }
        var writer = ByteWriter(capacity: transaction.inputs.count * 36)
        for input in transaction.inputs {
            writer.write(input.previousOutput.txid.internalBytes)
            writer.writeUInt32LE(input.previousOutput.index)
        }
        let digest = Hashing.sha256d(writer.bytes).internalBytes
        hashPrevouts = digest
        return digest
    }

    private mutating func sequencesHash() -> [UInt8] {
        if let hashSequence { return hashSequence }
        var writer = ByteWriter(capacity: transaction.inputs.count * 4)
        for input in transaction.inputs { writer.writeUInt32LE(input.sequence) }
        let digest = Hashing.sha256d(writer.bytes).internalBytes
        hashSequence = digest
        return digest
    }

    private mutating func outputsHash() -> [UInt8] {
        if let hashOutputs { return hashOutputs }
        var size = 0
        for output in transaction.outputs { size += output.serializedSize }
        var writer = ByteWriter(capacity: size)
        for output in transaction.outputs {
            writer.writeInt64LE(output.value.satoshis)
            writer.writeVarBytes(output.scriptPubKey.bytes)
        }
        let digest = Hashing.sha256d(writer.bytes).internalBytes
        hashOutputs = digest
        return digest
    }
}

extension Transaction {
    /// The BIP143 signature hash of one input; see
    /// ``SighashCache/segwitV0SignatureHash(inputIndex:scriptCode:amount:type:)``. To hash
    /// several inputs of the same transaction, use one ``SighashCache`` instead.
    public func segwitV0SignatureHash(
        inputIndex: Int, scriptCode: Script, amount: Amount, type: SighashType
    ) throws(SighashError) -> Hash256 {
        var cache = SighashCache(transaction: self)
        return try cache.segwitV0SignatureHash(
            inputIndex: inputIndex, scriptCode: scriptCode, amount: amount, type: type)
    }
}
