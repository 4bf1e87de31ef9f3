/// A segregated witness program: a version (0...16) and 2 to 40 bytes (BIP141), version 0 only
/// with 20 bytes (P2WPKH) or 32 (P2WSH). Values of this type always satisfy these rules.
public struct WitnessProgram: Hashable, Sendable, CustomStringConvertible {
    /// The witness version, 0...16.
    public let version: UInt8
    /// The program: 2...40 bytes; 20 or 32 for version 0.
    public let program: [UInt8]

    /// A witness program; throws when the version or the program length is invalid.
    public init(version: UInt8, program: [UInt8]) throws(ScriptTemplateError) {
        guard version <= 16 else { throw .invalidWitnessVersion(Int(version)) }
        guard (2...40).contains(program.count), version != 0 || program.count == 20 || program.count == 32 else {
            throw .invalidWitnessProgramLength(version: version, length: program.count)
        }
        self.version = version
        self.program = program
    }

    init(validated version: UInt8, _ program: [UInt8]) {
        self.version = version
        self.program = program
    }

    /// The witness program of a scriptPubKey `OP_n <program>` (n in 0...16, one direct push of
    /// 2...40 bytes, nothing else); `nil` for any other script, including version 0 programs
    /// that are neither 20 nor 32 bytes.
    public init?(scriptPubKey: Script) {
        let bytes = scriptPubKey.bytes
        guard (4...42).contains(bytes.count), Int(bytes[1]) + 2 == bytes.count,
            let version = Opcode(bytes[0]).smallIntegerValue, version >= 0,
            let program = try? WitnessProgram(version: UInt8(version), program: Array(bytes[2...]))
        else { return nil }
        self = program
    }

    /// The scriptPubKey `OP_n <program>`.
    public var scriptPubKey: Script {
        let versionOpcode = version == 0 ? Opcode.op0.rawValue : Opcode.op1.rawValue + version - 1
        return Script(bytes: [versionOpcode, UInt8(program.count)] + program)
    }

    /// `v<version>:<program hex>`.
    public var description: String { "v\(version):\(program.hex)" }
}
