/// A script opcode. Values are Bitcoin's; names follow Bitcoin Core without the `OP_` prefix.
public struct Opcode: Hashable, Sendable, CustomStringConvertible {
    /// The opcode's byte.
    public let rawValue: UInt8

    /// The opcode with this byte (any byte; unknown ones are invalid when executed).
    public init(_ rawValue: UInt8) { self.rawValue = rawValue }

    /// `OP_0` (`OP_FALSE`): pushes an empty array.
    public static let op0 = Opcode(0x00)
    /// `OP_PUSHDATA1`: the next byte is the length of the data pushed.
    public static let pushData1 = Opcode(0x4c)
    /// `OP_PUSHDATA2`: the next two bytes (little-endian) are the length of the data pushed.
    public static let pushData2 = Opcode(0x4d)
    /// `OP_PUSHDATA4`: the next four bytes (little-endian) are the length of the data pushed.
    public static let pushData4 = Opcode(0x4e)
    /// `OP_1NEGATE`: pushes the number -1.
    public static let op1Negate = Opcode(0x4f)
    /// `OP_1` (`OP_TRUE`): pushes the number 1.
    public static let op1 = Opcode(0x51)
    /// `OP_2`: pushes the number 2.
    public static let op2 = Opcode(0x52)
    /// `OP_16`: pushes the number 16.
    public static let op16 = Opcode(0x60)
    /// `OP_NOP`: does nothing.
    public static let nop = Opcode(0x61)
    /// `OP_IF`: runs the following branch if the top item is true.
    public static let `if` = Opcode(0x63)
    /// `OP_NOTIF`: runs the following branch if the top item is false.
    public static let notIf = Opcode(0x64)
    /// `OP_ELSE`: starts the other branch of an `OP_IF` or `OP_NOTIF`.
    public static let `else` = Opcode(0x67)
    /// `OP_ENDIF`: ends an `OP_IF` or `OP_NOTIF` block.
    public static let endIf = Opcode(0x68)
    /// `OP_VERIFY`: fails the script unless the top item is true, which it removes.
    public static let verify = Opcode(0x69)
    /// `OP_RETURN`: fails the script (marks an output unspendable).
    public static let `return` = Opcode(0x6a)
    /// `OP_DROP`: removes the top item.
    public static let drop = Opcode(0x75)
    /// `OP_DUP`: duplicates the top item.
    public static let dup = Opcode(0x76)
    /// `OP_EQUAL`: pushes whether the top two items are byte for byte equal.
    public static let equal = Opcode(0x87)
    /// `OP_EQUALVERIFY`: `OP_EQUAL` then `OP_VERIFY`.
    public static let equalVerify = Opcode(0x88)
    /// `OP_RIPEMD160`: replaces the top item with its RIPEMD-160 hash.
    public static let ripemd160 = Opcode(0xa6)
    /// `OP_SHA256`: replaces the top item with its SHA-256 hash.
    public static let sha256 = Opcode(0xa8)
    /// `OP_HASH160`: replaces the top item with RIPEMD-160 of its SHA-256 hash.
    public static let hash160 = Opcode(0xa9)
    /// `OP_HASH256`: replaces the top item with its double SHA-256 hash.
    public static let hash256 = Opcode(0xaa)
    /// `OP_CODESEPARATOR`: signatures after it commit only to the script that follows it.
    public static let codeSeparator = Opcode(0xab)
    /// `OP_CHECKSIG`: pushes whether a signature is valid for a public key and the transaction.
    public static let checkSig = Opcode(0xac)
    /// `OP_CHECKSIGVERIFY`: `OP_CHECKSIG` then `OP_VERIFY`.
    public static let checkSigVerify = Opcode(0xad)
    /// `OP_CHECKMULTISIG`: pushes whether m of n signatures are valid for the given keys.
    public static let checkMultisig = Opcode(0xae)
    /// `OP_CHECKMULTISIGVERIFY`: `OP_CHECKMULTISIG` then `OP_VERIFY`.
    public static let checkMultisigVerify = Opcode(0xaf)
    /// `OP_CHECKLOCKTIMEVERIFY` (BIP65): fails unless the transaction's lock time has reached the top item.
    public static let checkLockTimeVerify = Opcode(0xb1)
    /// `OP_CHECKSEQUENCEVERIFY` (BIP112): fails unless the input's relative lock time has reached the top item.
    public static let checkSequenceVerify = Opcode(0xb2)

    /// `OP_1` … `OP_16` for `n` in 1...16, `OP_0` for 0.
    public static func smallInteger(_ n: Int) -> Opcode? {
        switch n {
        case 0: return .op0
        case 1...16: return Opcode(UInt8(0x50 + n))
        default: return nil
        }
    }

    /// The value of `OP_0`, `OP_1NEGATE` and `OP_1` … `OP_16`; `nil` for other opcodes.
    public var smallIntegerValue: Int? {
        switch rawValue {
        case 0x00: return 0
        case 0x4f: return -1
        case 0x51...0x60: return Int(rawValue) - 0x50
        default: return nil
        }
    }

    /// Whether this opcode pushes data (0x00 … 0x4e).
    public var isPush: Bool { rawValue <= 0x4e }

    public var description: String {
        switch rawValue {
        case 0x00: return "OP_0"
        case 0x01...0x4b: return "OP_PUSHBYTES_\(rawValue)"
        case 0x4c: return "OP_PUSHDATA1"
        case 0x4d: return "OP_PUSHDATA2"
        case 0x4e: return "OP_PUSHDATA4"
        case 0x4f: return "OP_1NEGATE"
        case 0x51...0x60: return "OP_\(Int(rawValue) - 0x50)"
        default: return Opcode.names[rawValue].map { "OP_" + $0 } ?? "OP_UNKNOWN_0x" + String(rawValue, radix: 16)
        }
    }

    /// Names of the non-push opcodes, as Bitcoin Core spells them.
    static let names: [UInt8: String] = [
        0x50: "RESERVED", 0x61: "NOP", 0x62: "VER", 0x63: "IF", 0x64: "NOTIF", 0x65: "VERIF", 0x66: "VERNOTIF",
        0x67: "ELSE", 0x68: "ENDIF", 0x69: "VERIFY", 0x6a: "RETURN", 0x6b: "TOALTSTACK", 0x6c: "FROMALTSTACK",
        0x6d: "2DROP", 0x6e: "2DUP", 0x6f: "3DUP", 0x70: "2OVER", 0x71: "2ROT", 0x72: "2SWAP", 0x73: "IFDUP",
        0x74: "DEPTH", 0x75: "DROP", 0x76: "DUP", 0x77: "NIP", 0x78: "OVER", 0x79: "PICK", 0x7a: "ROLL",
        0x7b: "ROT", 0x7c: "SWAP", 0x7d: "TUCK", 0x7e: "CAT", 0x7f: "SUBSTR", 0x80: "LEFT", 0x81: "RIGHT",
        0x82: "SIZE", 0x83: "INVERT", 0x84: "AND", 0x85: "OR", 0x86: "XOR", 0x87: "EQUAL", 0x88: "EQUALVERIFY",
        0x89: "RESERVED1", 0x8a: "RESERVED2", 0x8b: "1ADD", 0x8c: "1SUB", 0x8d: "2MUL", 0x8e: "2DIV",
        0x8f: "NEGATE", 0x90: "ABS", 0x91: "NOT", 0x92: "0NOTEQUAL", 0x93: "ADD", 0x94: "SUB", 0x95: "MUL",
        0x96: "DIV", 0x97: "MOD", 0x98: "LSHIFT", 0x99: "RSHIFT", 0x9a: "BOOLAND", 0x9b: "BOOLOR",
        0x9c: "NUMEQUAL", 0x9d: "NUMEQUALVERIFY", 0x9e: "NUMNOTEQUAL", 0x9f: "LESSTHAN", 0xa0: "GREATERTHAN",
        0xa1: "LESSTHANOREQUAL", 0xa2: "GREATERTHANOREQUAL", 0xa3: "MIN", 0xa4: "MAX", 0xa5: "WITHIN",
        0xa6: "RIPEMD160", 0xa7: "SHA1", 0xa8: "SHA256", 0xa9: "HASH160", 0xaa: "HASH256",
        0xab: "CODESEPARATOR", 0xac: "CHECKSIG", 0xad: "CHECKSIGVERIFY", 0xae: "CHECKMULTISIG",
        0xaf: "CHECKMULTISIGVERIFY", 0xb0: "NOP1", 0xb1: "CHECKLOCKTIMEVERIFY", 0xb2: "CHECKSEQUENCEVERIFY",
        0xb3: "NOP4", 0xb4: "NOP5", 0xb5: "NOP6", 0xb6: "NOP7", 0xb7: "NOP8", 0xb8: "NOP9", 0xb9: "NOP10",
        0xba: "CHECKSIGADD",
    ]
}
