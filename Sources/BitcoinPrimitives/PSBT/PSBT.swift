/// A Partially Signed Bitcoin Transaction, version 0 (BIP174).
///
/// ``init(bytes:)`` reads the magic, the global map with its unsigned transaction, and one map
/// per input and per output, checking every known field's key and value form; it refuses
/// duplicate keys, a version other than 0 and BIP370's version 2 fields with a typed
/// ``PSBTError``, and never traps. Unknown and proprietary records are kept, so ``serialized``
/// gives back the bytes read (records in the order read).
public struct PSBT: Hashable, Sendable {
    /// `psbt` and `0xff`.
    public static let magic: [UInt8] = [0x70, 0x73, 0x62, 0x74, 0xff]

    /// The transaction being signed, without scriptSigs or witnesses.
    public let unsignedTransaction: Transaction
    /// The global records other than the unsigned transaction.
    public var global: PSBTMap
    /// One map per input of the unsigned transaction.
    public var inputs: [PSBTInputMap]
    /// One map per output of the unsigned transaction.
    public var outputs: [PSBTMap]

    /// A PSBT of `unsignedTransaction` with empty maps.
    public init(unsignedTransaction: Transaction) throws(PSBTError) {
        try Self.checkBare(unsignedTransaction)
        self.unsignedTransaction = unsignedTransaction
        self.global = PSBTMap()
        self.inputs = Array(repeating: PSBTInputMap(), count: unsignedTransaction.inputs.count)
        self.outputs = Array(repeating: PSBTMap(), count: unsignedTransaction.outputs.count)
    }

    /// Parses a serialized PSBT.
    public init(bytes: [UInt8]) throws(PSBTError) {
        guard bytes.starts(with: Self.magic) else { throw .badMagic }
        var reader = ByteReader(bytes, offset: Self.magic.count)
        let globalMap = try PSBTMap.parse(from: &reader, map: .global)
        try Self.check(globalMap, map: .global, rules: PSBTFieldRule.global)
        if let version = globalMap.value(of: PSBTKeyType.globalVersion), version != [0, 0, 0, 0] {
            throw .unsupportedVersion("version \(version.hex) (only version 0 is read)")
        }
        guard let txBytes = globalMap.value(of: PSBTKeyType.globalUnsignedTransaction) else {
            throw .missingUnsignedTransaction
        }
        let transaction: Transaction
        do { transaction = try Transaction(bytesWithoutWitness: txBytes) } catch {
            throw .unsignedTransactionNotBare("is not a transaction in the legacy serialization: \(error)")
        }
        try Self.checkBare(transaction)
        var inputs: [PSBTInputMap] = []
        for index in transaction.inputs.indices {
            let map = try PSBTMap.parse(from: &reader, map: .input(index))
            try Self.check(map, map: .input(index), rules: PSBTFieldRule.input)
            let input = PSBTInputMap(map)
            if let previous = input.nonWitnessUTXO, previous.txid != transaction.inputs[index].previousOutput.txid {
                throw .invalidValue(.input(index), type: PSBTKeyType.inputNonWitnessUTXO, "not the spent transaction")
            }
            inputs.append(input)
        }
        var outputs: [PSBTMap] = []
        for index in transaction.outputs.indices {
            let map = try PSBTMap.parse(from: &reader, map: .output(index))
            try Self.check(map, map: .output(index), rules: PSBTFieldRule.output)
            outputs.append(map)
        }
        do { try reader.expectEnd() } catch { throw .malformed(error) }
        self.unsignedTransaction = transaction
        self.global = PSBTMap(globalMap.records.filter { $0.key != [0x00] })
        self.inputs = inputs
        self.outputs = outputs
    }

    /// The serialized PSBT: magic, the unsigned transaction and the other global records, then
    /// the input and output maps.
    public var serialized: [UInt8] {
        var writer = ByteWriter(capacity: 256)
        writer.write(Self.magic)
        var globalRecords = [PSBTRecord(type: 0x00, value: unsignedTransaction.serializedWithoutWitness)]
        globalRecords.append(contentsOf: global.records)
        PSBTMap(globalRecords).write(to: &writer)
        for input in inputs { input.map.write(to: &writer) }
        for output in outputs { output.write(to: &writer) }
        return writer.bytes
    }

    /// The signed transaction: the unsigned one with each input's final scriptSig and final
    /// scriptWitness (BIP174's transaction extractor).
    /// - Throws: ``PSBTError/inputNotFinalized(_:)`` for an input with neither.
    public func finalizedTransaction() throws(PSBTError) -> Transaction {
        var transaction = unsignedTransaction
        for (index, input) in inputs.enumerated() {
            let scriptSig = input.finalScriptSig
            let witness = input.finalScriptWitness
            guard scriptSig != nil || witness != nil else { throw .inputNotFinalized(index) }
            transaction.inputs[index].scriptSig = scriptSig ?? .empty
            transaction.inputs[index].witness = witness ?? []
        }
        return transaction
    }

    private static func checkBare(_ transaction: Transaction) throws(PSBTError) {
        guard transaction.inputs.allSatisfy({ $0.scriptSig.isEmpty && $0.witness.isEmpty }) else {
            throw .unsignedTransactionNotBare("has a scriptSig or a witness")
        }
    }

    private static func check(
        _ records: PSBTMap, map: PSBTError.Map, rules: [UInt64: PSBTFieldRule]
    ) throws(PSBTError) {
        let excluded = PSBTFieldRule.versionTwoOnly[map.kind] ?? []
        for record in records.records {
            if excluded.contains(record.type) {
                throw .unsupportedVersion("field type \(record.type) of the \(map) belongs to version 2")
            }
            try rules[record.type]?.check(record, in: map)
        }
    }
}

/// The map of one PSBT input, with its known fields decoded.
public struct PSBTInputMap: Hashable, Sendable {
    /// The records.
    public var map: PSBTMap

    /// An input map of `map`'s records (checked by the PSBT's parser).
    public init(_ map: PSBTMap = PSBTMap()) {
        self.map = map
    }

    /// The transaction this input spends, if given.
    public var nonWitnessUTXO: Transaction? {
        map.value(of: PSBTKeyType.inputNonWitnessUTXO).flatMap { try? Transaction(bytes: $0) }
    }

    /// The output this input spends, if given.
    public var witnessUTXO: TransactionOutput? {
        map.value(of: PSBTKeyType.inputWitnessUTXO).flatMap { try? PSBTFieldRule.parseOutput($0) }
    }

    /// The final scriptSig, if the input is finalized with one.
    public var finalScriptSig: Script? {
        map.value(of: PSBTKeyType.inputFinalScriptSig).map { Script(bytes: $0) }
    }

    /// The final witness stack, if the input is finalized with one.
    public var finalScriptWitness: [[UInt8]]? {
        map.value(of: PSBTKeyType.inputFinalScriptWitness).flatMap { try? PSBTFieldRule.parseWitnessStack($0) }
    }
}
