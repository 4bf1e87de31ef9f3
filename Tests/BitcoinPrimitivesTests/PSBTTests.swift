import BitcoinPrimitives
import Testing

@Suite struct PSBTTests {
    private func bytes(_ hex: String) throws -> [UInt8] {
        try #require([UInt8](hex: hex))
    }

    @Test(arguments: BIP174Vectors.valid)
    func validVectorParsesAndSerializesToTheSameBytes(_ vector: BIP174Vectors.Case) throws {
        let raw = try bytes(vector.hex)
        let psbt = try PSBT(bytes: raw)
        #expect(psbt.serialized == raw)
        #expect(psbt.inputs.count == psbt.unsignedTransaction.inputs.count)
        #expect(psbt.outputs.count == psbt.unsignedTransaction.outputs.count)
        #expect(try PSBT(bytes: psbt.serialized) == psbt)
    }

    @Test(arguments: BIP174Vectors.invalid)
    func invalidVectorIsRefused(_ vector: BIP174Vectors.Case) throws {
        let raw = try bytes(vector.hex)
        #expect(throws: PSBTError.self) { try PSBT(bytes: raw) }
    }

    @Test func refusalsNameWhatIsWrong() throws {
        func error(_ name: String) throws -> PSBTError? {
            let vector = try #require(BIP174Vectors.invalid.first { $0.name.hasPrefix(name) })
            let raw = try bytes(vector.hex)
            do throws(PSBTError) {
                _ = try PSBT(bytes: raw)
                return nil
            } catch { return error }
        }
        #expect(try error("Network transaction") == .badMagic)
        #expect(try error("PSBT where inputs and outputs are provided but without") == .missingUnsignedTransaction)
        guard case .duplicateKey(.input(0), _) = try error("PSBT with duplicate keys in an input") else {
            Issue.record("duplicate key not named")
            return
        }
        guard case .invalidKey(.global, 0, _) = try error("PSBT with invalid global transaction typed key") else {
            Issue.record("global key not named")
            return
        }
        guard case .invalidKey(.input(0), 2, _) = try error("PSBT with invalid pubkey length for input partial")
        else {
            Issue.record("partial signature key not named")
            return
        }
        guard case .invalidKey(.output(0), 2, _) = try error("PSBT with invalid pubkey in output BIP 32") else {
            Issue.record("output derivation key not named")
            return
        }
        guard case .unsignedTransactionNotBare = try error("PSBT where one input has a filled scriptSig") else {
            Issue.record("filled scriptSig not named")
            return
        }
        guard case .malformed = try error("PSBT missing outputs") else {
            Issue.record("missing outputs not named")
            return
        }
    }

    @Test func extractsTheBIPsFinalizedTransaction() throws {
        let psbt = try PSBT(bytes: try bytes(BIP174Vectors.finalizedPSBT))
        let transaction = try psbt.finalizedTransaction()
        #expect(transaction.serialized.hex == BIP174Vectors.extractedTransaction)
        #expect(psbt.inputs[1].finalScriptWitness?.count == 4)
        #expect(psbt.inputs[0].finalScriptSig != nil && psbt.inputs[0].finalScriptWitness == nil)
    }

    @Test func anUnfinalizedInputIsNotExtracted() throws {
        let vector = try #require(BIP174Vectors.valid.first { $0.name.hasPrefix("PSBT with one P2PKH input. Outputs") })
        let psbt = try PSBT(bytes: try bytes(vector.hex))
        #expect(throws: PSBTError.inputNotFinalized(0)) { try psbt.finalizedTransaction() }
    }

    @Test func builtPSBTRoundTripsWithUnknownAndWitnessRecords() throws {
        let spent = TransactionOutput(
            value: try Amount(satoshis: 50_000),
            scriptPubKey: Script(bytes: [0x00, 0x14] + Array(repeating: 7, count: 20)))
        let transaction = Transaction(
            version: 2,
            inputs: [
                TransactionInput(
                    previousOutput: OutPoint(txid: Hash256(internalOrder: Array(repeating: 1, count: 32))!, index: 3))
            ],
            outputs: [TransactionOutput(value: try Amount(satoshis: 40_000), scriptPubKey: Script(bytes: [0x51]))])
        var psbt = try PSBT(unsignedTransaction: transaction)
        var output = ByteWriter()
        output.writeInt64LE(spent.value.satoshis)
        output.writeVarBytes(spent.scriptPubKey.bytes)
        psbt.inputs[0].map.set(PSBTRecord(type: PSBTKeyType.inputWitnessUTXO, value: output.bytes))
        psbt.inputs[0].map.set(
            PSBTRecord(type: PSBTKeyType.inputFinalScriptWitness, value: [2, 1, 0xaa, 2, 0xbb, 0xcc]))
        psbt.outputs[0].set(PSBTRecord(type: 0xf0, keyData: [1, 2], value: [3]))
        psbt.global.set(PSBTRecord(type: 0xfc, keyData: [0], value: []))
        let parsed = try PSBT(bytes: psbt.serialized)
        #expect(parsed == psbt)
        #expect(parsed.inputs[0].witnessUTXO == spent)
        let final = try parsed.finalizedTransaction()
        #expect(final.inputs[0].witness == [[0xaa], [0xbb, 0xcc]])
        #expect(final.txid == transaction.txid)
    }

    @Test func aRecordWithATrailingByteOrAVersionTwoFieldIsRefused() throws {
        let transaction = Transaction(
            version: 2,
            inputs: [
                TransactionInput(
                    previousOutput: OutPoint(txid: Hash256(internalOrder: Array(repeating: 1, count: 32))!, index: 0))
            ],
            outputs: [])
        var psbt = try PSBT(unsignedTransaction: transaction)
        psbt.inputs[0].map.set(PSBTRecord(type: PSBTKeyType.inputFinalScriptWitness, value: [1, 1, 0xaa, 0xff]))
        #expect(throws: PSBTError.self) { try PSBT(bytes: psbt.serialized) }
        var versionTwo = try PSBT(unsignedTransaction: transaction)
        versionTwo.global.set(PSBTRecord(type: 0xfb, value: [2, 0, 0, 0]))
        guard
            case .unsupportedVersion = (Result { () throws(PSBTError) in try PSBT(bytes: versionTwo.serialized) })
                .failure
        else {
            Issue.record("version 2 read")
            return
        }
    }

    /// Every prefix and every one-byte change of the BIP's vectors parses or throws a
    /// PSBTError, never traps.
    @Test func damagedVectorsNeverTrap() throws {
        var parsed = 0
        for vector in BIP174Vectors.valid + BIP174Vectors.invalid {
            let raw = try bytes(vector.hex)
            for length in stride(from: 0, to: raw.count, by: 3) {
                if (try? PSBT(bytes: Array(raw[..<length]))) != nil { parsed += 1 }
            }
            for index in stride(from: 0, to: raw.count, by: 5) {
                var damaged = raw
                damaged[index] ^= 0x5a
                if let psbt = try? PSBT(bytes: damaged) {
                    parsed += 1
                    #expect(try PSBT(bytes: psbt.serialized) == psbt)
                }
            }
        }
        #expect(parsed > 0)
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
