/// The BIP174 (and BIP371) key types Paychan checks; any other key is kept as it is.
public enum PSBTKeyType {
    /// Global: the unsigned transaction.
    public static let globalUnsignedTransaction: UInt64 = 0x00
    /// Global: an extended public key.
    public static let globalXpub: UInt64 = 0x01
    /// Global: the PSBT version.
    public static let globalVersion: UInt64 = 0xfb
    /// Input: the whole transaction the input spends.
    public static let inputNonWitnessUTXO: UInt64 = 0x00
    /// Input: the output the input spends.
    public static let inputWitnessUTXO: UInt64 = 0x01
    /// Input: a partial signature, keyed by its public key.
    public static let inputPartialSignature: UInt64 = 0x02
    /// Input: the sighash type.
    public static let inputSighashType: UInt64 = 0x03
    /// Input: the redeem script.
    public static let inputRedeemScript: UInt64 = 0x04
    /// Input: the witness script.
    public static let inputWitnessScript: UInt64 = 0x05
    /// Input: a BIP32 derivation, keyed by its public key.
    public static let inputBIP32Derivation: UInt64 = 0x06
    /// Input: the final scriptSig.
    public static let inputFinalScriptSig: UInt64 = 0x07
    /// Input: the final scriptWitness.
    public static let inputFinalScriptWitness: UInt64 = 0x08
    /// Output: the redeem script.
    public static let outputRedeemScript: UInt64 = 0x00
    /// Output: the witness script.
    public static let outputWitnessScript: UInt64 = 0x01
    /// Output: a BIP32 derivation, keyed by its public key.
    public static let outputBIP32Derivation: UInt64 = 0x02
}

/// The form BIP174 gives a known key type's key data and value, checked on parsing.
struct PSBTFieldRule {
    enum KeyData {
        /// No key data: the key is the type alone.
        case none
        /// Key data of one of these lengths.
        case lengths(Set<Int>)
        /// A Taproot control block: 33 + 32·k bytes, k ≤ 128.
        case controlBlock
    }

    enum Value {
        case any
        case lengths(Set<Int>)
        /// A fingerprint and path: 4 + 4·k bytes.
        case derivationPath
        /// A leaf-hash list, fingerprint and path (BIP371).
        case taprootDerivation
        case transaction
        case output
        case witnessStack
        case version
    }

    let keyData: KeyData
    let value: Value

    static let publicKey: Set<Int> = [33, 65]

    /// The rules of PSBT version 0's global fields. The BIP370 fields (0x02 to 0x06) are
    /// refused separately.
    static let global: [UInt64: PSBTFieldRule] = [
        0x00: .init(keyData: .none, value: .any),
        0x01: .init(keyData: .lengths([78]), value: .derivationPath),
        0xfb: .init(keyData: .none, value: .version),
    ]

    static let input: [UInt64: PSBTFieldRule] = [
        0x00: .init(keyData: .none, value: .transaction),
        0x01: .init(keyData: .none, value: .output),
        0x02: .init(keyData: .lengths(publicKey), value: .any),
        0x03: .init(keyData: .none, value: .lengths([4])),
        0x04: .init(keyData: .none, value: .any),
        0x05: .init(keyData: .none, value: .any),
        0x06: .init(keyData: .lengths(publicKey), value: .derivationPath),
        0x07: .init(keyData: .none, value: .any),
        0x08: .init(keyData: .none, value: .witnessStack),
        0x09: .init(keyData: .none, value: .any),
        0x0a: .init(keyData: .lengths([20]), value: .any),
        0x0b: .init(keyData: .lengths([32]), value: .any),
        0x0c: .init(keyData: .lengths([20]), value: .any),
        0x0d: .init(keyData: .lengths([32]), value: .any),
        0x13: .init(keyData: .none, value: .lengths([64, 65])),
        0x14: .init(keyData: .lengths([64]), value: .lengths([64, 65])),
        0x15: .init(keyData: .controlBlock, value: .any),
        0x16: .init(keyData: .lengths([32]), value: .taprootDerivation),
        0x17: .init(keyData: .none, value: .lengths([32])),
        0x18: .init(keyData: .none, value: .lengths([32])),
    ]

    static let output: [UInt64: PSBTFieldRule] = [
        0x00: .init(keyData: .none, value: .any),
        0x01: .init(keyData: .none, value: .any),
        0x02: .init(keyData: .lengths(publicKey), value: .derivationPath),
        0x05: .init(keyData: .none, value: .lengths([32])),
        0x06: .init(keyData: .none, value: .any),
        0x07: .init(keyData: .lengths([32]), value: .taprootDerivation),
    ]

    /// BIP370 fields a version 0 PSBT must not hold.
    static let versionTwoOnly: [PSBTError.Map.Kind: Set<UInt64>] = [
        .global: [0x02, 0x03, 0x04, 0x05, 0x06],
        .input: [0x0e, 0x0f, 0x10, 0x11, 0x12],
        .output: [0x03, 0x04],
    ]

    /// Checks `record` of `map` against this rule.
    func check(_ record: PSBTRecord, in map: PSBTError.Map) throws(PSBTError) {
        switch keyData {
        case .none:
            guard record.keyData.isEmpty else { throw .invalidKey(map, type: record.type, "the key has data") }
        case .lengths(let lengths):
            guard lengths.contains(record.keyData.count) else {
                throw .invalidKey(map, type: record.type, "key data of \(record.keyData.count) bytes")
            }
        case .controlBlock:
            let count = record.keyData.count
            guard count >= 33, count <= 33 + 32 * 128, (count - 33) % 32 == 0 else {
                throw .invalidKey(map, type: record.type, "a control block of \(count) bytes")
            }
        }
        let value = record.value
        let valid: Bool
        switch self.value {
        case .any: valid = true
        case .lengths(let lengths): valid = lengths.contains(value.count)
        case .derivationPath: valid = value.count >= 4 && value.count % 4 == 0
        case .taprootDerivation: valid = Self.isTaprootDerivation(value)
        case .transaction: valid = (try? Transaction(bytes: value)) != nil
        case .output: valid = (try? Self.parseOutput(value)) != nil
        case .witnessStack: valid = (try? Self.parseWitnessStack(value)) != nil
        case .version: valid = value.count == 4
        }
        guard valid else { throw .invalidValue(map, type: record.type, "\(value.count) bytes that do not decode") }
    }

    private static func isTaprootDerivation(_ value: [UInt8]) -> Bool {
        var reader = ByteReader(value)
        guard let count = try? reader.readLength(minimumItemSize: 32), reader.remaining >= 32 * count + 4 else {
            return false
        }
        return (reader.remaining - 32 * count) % 4 == 0
    }

    /// A serialized transaction output, nothing after it.
    static func parseOutput(_ bytes: [UInt8]) throws(ParseError) -> TransactionOutput {
        var reader = ByteReader(bytes)
        let raw = try reader.readInt64LE()
        guard let value = try? Amount(satoshis: raw) else { throw .invalid("output value \(raw) out of range") }
        let script = Script(bytes: try reader.readVarBytes())
        try reader.expectEnd()
        return TransactionOutput(value: value, scriptPubKey: script)
    }

    /// A serialized witness stack (a count, then each item with its length), nothing after it.
    static func parseWitnessStack(_ bytes: [UInt8]) throws(ParseError) -> [[UInt8]] {
        var reader = ByteReader(bytes)
        let count = try reader.readLength()
        var stack: [[UInt8]] = []
        for _ in 0..<count { stack.append(try reader.readVarBytes()) }
        try reader.expectEnd()
        return stack
    }
}

extension PSBTError.Map {
    /// The kind of map, without its index.
    enum Kind: Hashable {
        case global, input, output
    }

    var kind: Kind {
        switch self {
        case .global: return .global
        case .input: return .input
        case .output: return .output
        }
    }
}
