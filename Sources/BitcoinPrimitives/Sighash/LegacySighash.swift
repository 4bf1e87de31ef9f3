extension Transaction {
    /// The legacy (pre-segwit) signature hash of input `inputIndex`, as Bitcoin Core's
    /// `SignatureHash` computes it for `SigVersion::BASE`.
    ///
    /// - The whole 32-bit `type` goes into the preimage; the behaviour depends on `type & 0x1f`
    ///   (NONE = 2, SINGLE = 3, anything else ALL) and on the ANYONECANPAY bit (0x80).
    /// - `OP_CODESEPARATOR` is removed from `scriptCode`.
    /// - NONE and SINGLE set the other inputs' sequences to zero; ANYONECANPAY keeps only this
    ///   input.
    /// - SINGLE without an output at `inputIndex` returns the historical value 1 (the byte
    ///   0x01 followed by 31 zero bytes, in internal order) instead of a hash.
    ///
    /// The preimage is written into one buffer of exactly the right size and hashed once.
    /// - Throws: ``SighashError/inputIndexOutOfRange(index:inputCount:)``.
    public func legacySignatureHash(inputIndex: Int, scriptCode: Script, type: SighashType) throws(SighashError)
        -> Hash256
    {
        guard inputs.indices.contains(inputIndex) else {
            throw .inputIndexOutOfRange(index: inputIndex, inputCount: inputs.count)
        }
        let base = type.base
        if base == .single && inputIndex >= outputs.count { return Hash256.one }
        let code = LegacyScriptCode(scriptCode.bytes)
        let anyoneCanPay = type.anyoneCanPay
        let inputRange = anyoneCanPay ? inputIndex..<inputIndex + 1 : inputs.indices
        let outputCount: Int
        switch base {
        case .none: outputCount = 0
        case .single: outputCount = inputIndex + 1
        case .all: outputCount = outputs.count
        }

        // Exact preimage size: version, inputs, outputs, lock time, hash type.
        var size = 4 + ByteWriter.compactSizeLength(UInt64(inputRange.count)) + 4 + 4
        size += inputRange.count * (32 + 4 + 4) + (inputRange.count - 1) + code.serializedSize
        size += ByteWriter.compactSizeLength(UInt64(outputCount))
        for index in 0..<outputCount {
            // SINGLE writes a blank output (8-byte value, empty script) before its own.
            size += base == .single && index != inputIndex ? 9 : outputs[index].serializedSize
        }

        var writer = ByteWriter(capacity: size)
        writer.writeUInt32LE(UInt32(bitPattern: version))
        writer.writeCompactSize(UInt64(inputRange.count))
        for index in inputRange {
            let input = inputs[index]
            writer.write(input.previousOutput.txid.internalBytes)
            writer.writeUInt32LE(input.previousOutput.index)
            if index == inputIndex {
                code.write(to: &writer, original: scriptCode.bytes)
                writer.writeUInt32LE(input.sequence)
            } else {
                writer.write(0)
                writer.writeUInt32LE(base == .all ? input.sequence : 0)
            }
        }
        writer.writeCompactSize(UInt64(outputCount))
        for index in 0..<outputCount {
            if base == .single && index != inputIndex {
                writer.writeInt64LE(-1)
                writer.write(0)
            } else {
                let output = outputs[index]
                writer.writeInt64LE(output.value.satoshis)
                writer.writeVarBytes(output.scriptPubKey.bytes)
            }
        }
        writer.writeUInt32LE(lockTime)
        writer.writeUInt32LE(type.rawValue)
        return Hashing.sha256d(writer.bytes)
    }
}

extension Hash256 {
    /// The value 1 as a 256-bit little-endian number: what the legacy signature hash returns
    /// for SIGHASH_SINGLE without a matching output.
    public static let one = Hash256(internalBytes: [1] + [UInt8](repeating: 0, count: 31))
}
