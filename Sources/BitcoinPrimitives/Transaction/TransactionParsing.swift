extension Transaction {
    /// Parses a serialized transaction, legacy or BIP144. Throws ``ParseError`` on truncation,
    /// trailing bytes, non-canonical or oversized lengths, output values outside
    /// `0...21e6 BTC`, a witness flag other than 1, or a witness section that is all empty.
    public init(bytes: [UInt8]) throws(ParseError) {
        var reader = ByteReader(bytes)
        self = try Transaction.parse(from: &reader)
        try reader.expectEnd()
    }

    /// Parses a hex-encoded transaction.
    public init(hex: String) throws(ParseError) {
        guard let bytes = [UInt8](hex: hex) else { throw .invalid("not hex") }
        try self.init(bytes: bytes)
    }

    /// Parses a transaction in the legacy serialization only (no BIP144 marker), as a PSBT's
    /// unsigned transaction is: zero inputs are read as zero inputs, not as a marker.
    public init(bytesWithoutWitness bytes: [UInt8]) throws(ParseError) {
        var reader = ByteReader(bytes)
        self = try Transaction.parse(from: &reader, allowingWitness: false)
        try reader.expectEnd()
    }

    /// Parses one transaction from `reader`, leaving it after the lock time. With
    /// `allowingWitness` false, the legacy serialization only is read.
    public static func parse(from reader: inout ByteReader, allowingWitness: Bool = true) throws(ParseError)
        -> Transaction
    {
        let version = Int32(bitPattern: try reader.readUInt32LE())
        // An input takes at least 41 bytes, an output at least 9.
        var inputCount = try reader.readLength(minimumItemSize: 41)
        var hasWitnessFlag = false
        if inputCount == 0 && allowingWitness {
            // Either a BIP144 marker or a transaction with no inputs. Bitcoin Core reads the next
            // byte as the flag; a flag of zero would mean "no inputs, no outputs" in legacy form.
            let flag = try reader.readUInt8()
            guard flag == 0x01 else { throw .invalid("unknown segwit flag \(flag)") }
            hasWitnessFlag = true
            inputCount = try reader.readLength(minimumItemSize: 41)
        }
        var inputs: [TransactionInput] = []
        inputs.reserveCapacity(inputCount)
        for _ in 0..<inputCount {
            guard let txid = Hash256(internalOrder: try reader.readBytes(32)) else { throw .invalid("bad outpoint") }
            let index = try reader.readUInt32LE()
            let script = Script(bytes: try reader.readVarBytes())
            let sequence = try reader.readUInt32LE()
            inputs.append(
                TransactionInput(
                    previousOutput: OutPoint(txid: txid, index: index), scriptSig: script,
                    sequence: sequence))
        }
        let outputCount = try reader.readLength(minimumItemSize: 9)
        var outputs: [TransactionOutput] = []
        outputs.reserveCapacity(outputCount)
        for _ in 0..<outputCount {
            let offset = reader.offset
            let raw = try reader.readInt64LE()
            let value: Amount
            do { value = try Amount(satoshis: raw) } catch {
                throw .invalid("output value \(raw) at byte \(offset) is outside 0...21e6 BTC")
            }
            outputs.append(TransactionOutput(value: value, scriptPubKey: Script(bytes: try reader.readVarBytes())))
        }
        if hasWitnessFlag {
            for i in inputs.indices {
                let itemCount = try reader.readLength()
                var stack: [[UInt8]] = []
                stack.reserveCapacity(itemCount)
                for _ in 0..<itemCount { stack.append(try reader.readVarBytes()) }
                inputs[i].witness = stack
            }
            // BIP144: a witness flag with no witness data is not allowed (it would not
            // re-serialize to the same bytes).
            guard inputs.contains(where: { !$0.witness.isEmpty }) else {
                throw .invalid("segwit marker present but all witnesses are empty")
            }
        }
        let lockTime = try reader.readUInt32LE()
        return Transaction(version: version, inputs: inputs, outputs: outputs, lockTime: lockTime)
    }
}
