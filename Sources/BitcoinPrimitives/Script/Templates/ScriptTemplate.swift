/// The standard form a script matches, with the values it carries.
///
/// Recognition is byte-exact: a script matches a template only when it is byte for byte what
/// the corresponding builder on ``Script`` produces (minimal pushes, valid public keys, no extra
/// operations). Anything else, including scripts that do not parse, is ``nonStandard``.
public enum ScriptTemplate: Hashable, Sendable {
    /// `OP_DUP OP_HASH160 <20-byte key hash> OP_EQUALVERIFY OP_CHECKSIG`.
    case p2pkh(hash160: [UInt8])
    /// `OP_HASH160 <20-byte script hash> OP_EQUAL`.
    case p2sh(hash160: [UInt8])
    /// `OP_0 <20-byte key hash>`: segwit version 0 key hash.
    case p2wpkh(hash160: [UInt8])
    /// `OP_0 <32-byte SHA-256 of the witness script>`: segwit version 0 script hash.
    case p2wsh(sha256: [UInt8])
    /// `OP_1`…`OP_16` followed by a 2- to 40-byte program: a witness program of version 1 or
    /// later (version 1 with 32 bytes is taproot).
    case witnessProgram(version: UInt8, program: [UInt8])
    /// `OP_RETURN` followed only by minimal pushes; `pushes` are the pushed byte strings
    /// (`OP_1`…`OP_16` and `OP_1NEGATE` count as the one-byte strings they stand for).
    case nullData(pushes: [[UInt8]])
    /// `OP_m <key>… OP_n OP_CHECKMULTISIG` with `1 <= m <= n <= 16`: bare multisig. Paychan's v1
    /// contract output is the 2-of-2 `OP_2 <client> <server> OP_2 OP_CHECKMULTISIG`.
    case multisig(required: Int, keys: [PublicKey])
    /// The protocol version 2 channel redeem script (see ``Script/channelV2(server:client:expiry:)``).
    case channelV2(server: PublicKey, client: PublicKey, expiry: Int64)
    /// Anything else.
    case nonStandard

    /// Recognises the template `script` matches.
    public init(_ script: Script) {
        let bytes = script.bytes
        if let hash = Script.matchP2PKH(bytes) {
            self = .p2pkh(hash160: hash)
        } else if let hash = Script.matchP2SH(bytes) {
            self = .p2sh(hash160: hash)
        } else if let witness = WitnessProgram(scriptPubKey: script) {
            self = ScriptTemplate(witness)
        } else if let operations = try? script.operations(), operations.allSatisfy(\.isMinimalPush) {
            if let pushes = Script.matchNullData(operations) {
                self = .nullData(pushes: pushes)
            } else if let (required, keys) = Script.matchMultisig(operations) {
                self = .multisig(required: required, keys: keys)
            } else if let (server, client, expiry) = Script.matchChannelV2(operations) {
                self = .channelV2(server: server, client: client, expiry: expiry)
            } else {
                self = .nonStandard
            }
        } else {
            self = .nonStandard
        }
    }

    /// The template of a witness program: P2WPKH and P2WSH for version 0, the generic case above.
    init(_ witness: WitnessProgram) {
        switch (witness.version, witness.program.count) {
        case (0, 20): self = .p2wpkh(hash160: witness.program)
        case (0, _): self = .p2wsh(sha256: witness.program)
        default: self = .witnessProgram(version: witness.version, program: witness.program)
        }
    }

    /// The witness program of the segwit templates (P2WPKH, P2WSH, version 1+); `nil` for others.
    public var witnessProgram: WitnessProgram? {
        switch self {
        case .p2wpkh(let program), .p2wsh(let program): return WitnessProgram(validated: 0, program)
        case .witnessProgram(let version, let program): return WitnessProgram(validated: version, program)
        default: return nil
        }
    }
}

extension Script {
    /// The standard template this script matches (``ScriptTemplate/nonStandard`` if none).
    public var template: ScriptTemplate { ScriptTemplate(self) }
}
