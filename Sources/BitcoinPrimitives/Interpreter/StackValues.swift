/// Conversions between stack items and values, as Bitcoin Core's interpreter does them.
enum StackValues {
    static let `true`: [UInt8] = [1]
    static let `false`: [UInt8] = []

    /// `CastToBool`: false for all-zero bytes and for negative zero (a last byte of 0x80).
    static func isTrue(_ item: [UInt8]) -> Bool {
        for (index, byte) in item.enumerated() where byte != 0 {
            return !(index == item.count - 1 && byte == 0x80)
        }
        return false
    }

    /// A script number of at most `maxLength` bytes.
    static func number(_ item: [UInt8], requireMinimal: Bool, maxLength: Int = 4) throws(ScriptError) -> Int64 {
        do {
            return try ScriptNumber.decode(item, maxLength: maxLength, requireMinimal: requireMinimal)
        } catch {
            throw .invalidScriptNumber
        }
    }

    /// Whether a push uses the shortest encoding (Core's `CheckMinimalPush`).
    static func isMinimalPush(opcode: UInt8, data: [UInt8]) -> Bool {
        ScriptOperation(opcode: Opcode(opcode), data: data).isMinimalPush
    }
}
