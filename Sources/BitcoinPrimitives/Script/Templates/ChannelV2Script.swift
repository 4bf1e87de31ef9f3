extension Script {
    /// The longest script number an expiry may take in the channel script (as bitcoinj allows,
    /// and as `OP_CHECKLOCKTIMEVERIFY` reads).
    static let channelExpiryMaxLength = 5

    /// Paychan's protocol version 2 channel redeem script, byte for byte as bitcoinj builds it:
    ///
    ///     OP_IF <server> OP_CHECKSIGVERIFY
    ///     OP_ELSE <expiry> OP_CHECKLOCKTIMEVERIFY OP_DROP
    ///     OP_ENDIF <client> OP_CHECKSIG
    ///
    /// Before `expiry` (a lock time: a block height below 500,000,000, else Unix seconds) the
    /// output needs both signatures; from then on the client's alone. The expiry is pushed as a
    /// minimal script number. The output itself pays to ``p2sh(redeemScript:)`` of this script.
    ///
    /// Throws ``ScriptTemplateError/expiryOutOfRange(_:)`` unless `0 <= expiry <= UInt32.max`.
    public static func channelV2(server: PublicKey, client: PublicKey, expiry: Int64) throws(ScriptTemplateError)
        -> Script
    {
        guard (0...Int64(UInt32.max)).contains(expiry) else { throw .expiryOutOfRange(expiry) }
        var builder = ScriptBuilder()
        builder.add(.if)
        builder.push(server.bytes)
        builder.add(.checkSigVerify)
        builder.add(.else)
        builder.push(number: expiry)
        builder.add(.checkLockTimeVerify)
        builder.add(.drop)
        builder.add(.endIf)
        builder.push(client.bytes)
        builder.add(.checkSig)
        return builder.script
    }

    /// The keys and expiry of an exact channel v2 script (operations already checked to be
    /// minimal pushes).
    static func matchChannelV2(_ operations: [ScriptOperation]) -> (
        server: PublicKey, client: PublicKey, expiry: Int64
    )? {
        guard operations.count == 10, operations[0].opcode == .if, operations[2].opcode == .checkSigVerify,
            operations[3].opcode == .else, operations[5].opcode == .checkLockTimeVerify,
            operations[6].opcode == .drop, operations[7].opcode == .endIf, operations[9].opcode == .checkSig,
            let server = operations[1].publicKey, let client = operations[8].publicKey,
            let expiry = operations[4].scriptNumber(maxLength: channelExpiryMaxLength),
            (0...Int64(UInt32.max)).contains(expiry)
        else { return nil }
        return (server, client, expiry)
    }
}
