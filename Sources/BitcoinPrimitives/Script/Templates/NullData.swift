extension Script {
    /// An `OP_RETURN` output script carrying `pushes`, each pushed minimally. Such outputs are
    /// provably unspendable. Relay policy limits their size; this builder does not.
    public static func nullData(_ pushes: [[UInt8]] = []) -> Script {
        var builder = ScriptBuilder()
        builder.add(.return)
        for data in pushes { builder.push(data) }
        return builder.script
    }

    /// The pushed strings of `OP_RETURN` followed only by pushes (operations already checked
    /// to be minimal). Small-number opcodes stand for the one-byte strings they push.
    static func matchNullData(_ operations: [ScriptOperation]) -> [[UInt8]]? {
        guard let first = operations.first, first.opcode == .return else { return nil }
        var pushes: [[UInt8]] = []
        pushes.reserveCapacity(operations.count - 1)
        for operation in operations.dropFirst() {
            guard let data = operation.pushedBytes else { return nil }
            pushes.append(data)
        }
        return pushes
    }
}
