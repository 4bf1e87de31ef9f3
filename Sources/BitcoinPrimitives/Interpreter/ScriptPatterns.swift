/// The script shapes the verifier and the dust rule need to recognise, as Bitcoin Core
/// defines them (`IsPayToScriptHash`, `IsWitnessProgram`, `IsUnspendable`).
enum ScriptPatterns {
    /// `OP_HASH160 <20 bytes> OP_EQUAL`.
    static func isPayToScriptHash(_ script: [UInt8]) -> Bool {
        script.count == 23 && script[0] == Opcode.hash160.rawValue && script[1] == 0x14
            && script[22] == Opcode.equal.rawValue
    }

    /// A witness program: a version opcode (`OP_0`, `OP_1` … `OP_16`) and one direct push of
    /// 2 to 40 bytes, 4 to 42 bytes in all.
    static func witnessProgram(_ script: [UInt8]) -> (version: Int, program: [UInt8])? {
        guard (4...42).contains(script.count) else { return nil }
        let first = script[0]
        let version: Int
        switch first {
        case Opcode.op0.rawValue: version = 0
        case Opcode.op1.rawValue...Opcode.op16.rawValue: version = Int(first) - 0x50
        default: return nil
        }
        guard Int(script[1]) + 2 == script.count else { return nil }
        return (version, Array(script[2...]))
    }

    /// Whether an output can never be spent: it starts with `OP_RETURN` or is longer than
    /// 10,000 bytes.
    static func isUnspendable(_ script: [UInt8]) -> Bool {
        (script.first == Opcode.return.rawValue) || script.count > ScriptLimits.maxScriptSize
    }

    /// The script Bitcoin Core's `CScript() << data` produces: one push, using the shortest
    /// length prefix (but no `OP_1`…`OP_16` substitution).
    static func serializedPush(_ data: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(data.count + 5)
        switch data.count {
        case 0..<Int(Opcode.pushData1.rawValue):
            result.append(UInt8(data.count))
        case 0..<0x100:
            result.append(Opcode.pushData1.rawValue)
            result.append(UInt8(data.count))
        case 0..<0x1_0000:
            result.append(Opcode.pushData2.rawValue)
            result.append(UInt8(data.count & 0xff))
            result.append(UInt8(data.count >> 8))
        default:
            result.append(Opcode.pushData4.rawValue)
            for shift in stride(from: 0, to: 32, by: 8) {
                result.append(UInt8(truncatingIfNeeded: data.count >> shift))
            }
        }
        result.append(contentsOf: data)
        return result
    }
}

/// Bitcoin Core's script limits.
enum ScriptLimits {
    static let maxScriptSize = 10_000
    static let maxElementSize = 520
    static let maxOperations = 201
    static let maxStackSize = 1_000
    static let maxPublicKeysPerMultisig = 20
    /// Lock times below this are block heights, at or above it Unix times.
    static let lockTimeThreshold: Int64 = 500_000_000
}
