import BitcoinPrimitives

/// Bitcoin Core's test-vector script notation (`ParseScript` in `core_read.cpp`), rewritten
/// for the tests: decimal numbers (pushed as script numbers, `OP_N` for -1…16), `0x…` raw
/// bytes inserted as they are, `'text'` pushed, and opcode names with or without `OP_`.
enum ScriptAssembly {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Opcode names (0x50 and above, without `OP_`), from ``Opcode/description``.
    static let opcodes: [String: UInt8] = {
        var table: [String: UInt8] = [:]
        for raw in UInt8(0x50)...UInt8(0xba) {
            let name = Opcode(raw).description
            guard name.hasPrefix("OP_"), !name.hasPrefix("OP_UNKNOWN") else { continue }
            table[String(name.dropFirst(3))] = raw
        }
        table["NOP2"] = Opcode.checkLockTimeVerify.rawValue
        table["NOP3"] = Opcode.checkSequenceVerify.rawValue
        return table
    }()

    /// The names of the opcodes used by `text` (for skipping unsupported ones).
    static func opcodeNames(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { token in
            let word = token.hasPrefix("OP_") ? String(token.dropFirst(3)) : String(token)
            return opcodes[word] != nil ? word : nil
        }
    }

    static func parse(_ text: String) throws -> Script {
        var bytes: [UInt8] = []
        for token in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
            let word = String(token)
            if let number = Int64(word), word.allSatisfy({ $0.isNumber || $0 == "-" }) {
                guard abs(number) <= 0xffff_ffff else { throw Failure(description: "number out of range: \(word)") }
                var builder = ScriptBuilder()
                builder.push(number: number)
                bytes += builder.bytes
            } else if word.hasPrefix("0x"), word.count > 2, let raw = [UInt8](hex: word.dropFirst(2)) {
                bytes += raw
            } else if word.count >= 2, word.hasPrefix("'"), word.hasSuffix("'") {
                var builder = ScriptBuilder()
                builder.push(Array(word.dropFirst().dropLast().utf8))
                bytes += Self.unsubstitutedPush(builder.bytes, Array(word.dropFirst().dropLast().utf8))
            } else if let opcode = opcodes[word.hasPrefix("OP_") ? String(word.dropFirst(3)) : word] {
                bytes.append(opcode)
            } else {
                throw Failure(description: "unknown token \(word)")
            }
        }
        return Script(bytes: bytes)
    }

    /// Core pushes strings with `CScript << bytes`, which never turns a one-byte string into
    /// `OP_1`…`OP_16`; rebuild such pushes with a length prefix.
    private static func unsubstitutedPush(_ minimal: [UInt8], _ data: [UInt8]) -> [UInt8] {
        if data.count == 1 { return [1] + data }
        return minimal
    }
}
