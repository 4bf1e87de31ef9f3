extension Script {
    /// The largest key count a bare multisig template takes (the largest `OP_n`).
    public static let maxMultisigKeys = 16

    /// Bare multisig `OP_m <key 1> … <key n> OP_n OP_CHECKMULTISIG`, requiring `required` of the
    /// `keys` (in this order); throws unless `1 <= required <= keys.count <= 16`.
    public static func multisig(required: Int, keys: [PublicKey]) throws(ScriptTemplateError) -> Script {
        guard required >= 1, required <= keys.count, keys.count <= maxMultisigKeys else {
            throw .invalidMultisig(required: required, keys: keys.count)
        }
        return multisig(validatedRequired: required, keys: keys)
    }

    /// Paychan's protocol version 1 contract output: the 2-of-2
    /// `OP_2 <client> <server> OP_2 OP_CHECKMULTISIG`, client key first as bitcoinj writes it.
    public static func channelV1(client: PublicKey, server: PublicKey) -> Script {
        multisig(validatedRequired: 2, keys: [client, server])
    }

    private static func multisig(validatedRequired required: Int, keys: [PublicKey]) -> Script {
        var builder = ScriptBuilder()
        builder.push(number: Int64(required))
        for key in keys { builder.push(key.bytes) }
        builder.push(number: Int64(keys.count))
        builder.add(.checkMultisig)
        return builder.script
    }

    /// The threshold and keys of an exact bare multisig script (operations already checked to
    /// be minimal pushes).
    static func matchMultisig(_ operations: [ScriptOperation]) -> (required: Int, keys: [PublicKey])? {
        guard operations.count >= 4, operations[operations.count - 1].opcode == .checkMultisig,
            let required = operations[0].positiveSmallInteger,
            let count = operations[operations.count - 2].positiveSmallInteger,
            count == operations.count - 3, required <= count
        else { return nil }
        var keys: [PublicKey] = []
        keys.reserveCapacity(count)
        for operation in operations[1...count] {
            guard let key = operation.publicKey else { return nil }
            keys.append(key)
        }
        return (required, keys)
    }
}
