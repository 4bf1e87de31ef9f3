extension ScriptOperation {
    /// The bytes this operation pushes: its data for push opcodes, the one-byte encodings for
    /// `OP_1NEGATE` and `OP_1`…`OP_16`; `nil` for every other opcode.
    var pushedBytes: [UInt8]? {
        if let data { return data }
        switch opcode.smallIntegerValue {
        case -1: return [0x81]
        case .some(let value) where value >= 1: return [UInt8(value)]
        default: return nil
        }
    }

    /// The number this operation pushes, when that is a minimally encoded script number of at
    /// most `maxLength` bytes (small-number opcodes included); `nil` otherwise.
    func scriptNumber(maxLength: Int) -> Int64? {
        guard let bytes = pushedBytes else { return nil }
        return try? ScriptNumber.decode(bytes, maxLength: maxLength, requireMinimal: true)
    }

    /// The value of `OP_1`…`OP_16`; `nil` for every other operation (`OP_0` included).
    var positiveSmallInteger: Int? {
        guard data == nil, let value = opcode.smallIntegerValue, value >= 1 else { return nil }
        return value
    }

    /// The public key this operation pushes, when it pushes a valid compressed or uncompressed
    /// key; `nil` otherwise.
    var publicKey: PublicKey? {
        guard let data, data.count == 33 || data.count == 65 else { return nil }
        return try? PublicKey(bytes: data)
    }
}
