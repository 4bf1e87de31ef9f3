import BitcoinPrimitives

/// The negotiated shape of one channel's contract: version, keys and expiry, and the scripts
/// they determine (computed once).
public struct ChannelContract: Sendable, Hashable {
    /// The protocol version, which decides the contract's script.
    public let version: ProtocolVersion
    /// The client's channel key.
    public let clientKey: PublicKey
    /// The server's channel key.
    public let serverKey: PublicKey
    /// UNIX time at which the client's refund becomes valid.
    public let expiry: UInt64
    /// The script payments and the settlement sign: the 2-of-2 multisig (v1) or the CLTV
    /// channel redeem script (v2).
    public let signedScript: Script
    /// The script of contract output 0: the multisig itself (v1) or P2SH of the redeem script (v2).
    public let outputScript: Script

    /// Throws when the expiry cannot be a lock time (above `UInt32.max`).
    public init(version: ProtocolVersion, clientKey: PublicKey, serverKey: PublicKey, expiry: UInt64)
        throws(ChannelError)
    {
        guard expiry <= UInt64(UInt32.max) else {
            throw ChannelError(.timeWindowUnacceptable, "expiry \(expiry) cannot be a lock time")
        }
        self.version = version
        self.clientKey = clientKey
        self.serverKey = serverKey
        self.expiry = expiry
        switch version {
        case .v1:
            signedScript = .channelV1(client: clientKey, server: serverKey)
            outputScript = signedScript
        case .v2:
            do {
                signedScript = try .channelV2(server: serverKey, client: clientKey, expiry: Int64(expiry))
            } catch {
                throw ChannelError(.timeWindowUnacceptable, "expiry \(expiry) cannot be a lock time")
            }
            outputScript = .p2sh(redeemScript: signedScript)
        }
    }

    /// The scriptSig spending the contract through the payment path with both signatures:
    /// `OP_0 <client> <server>` (v1) or `<client> <server> OP_1 <redeem script>` (v2).
    public func paymentScriptSig(client: [UInt8], server: [UInt8]) -> Script {
        var builder = ScriptBuilder()
        switch version {
        case .v1:
            builder.add(.op0)
            builder.push(client)
            builder.push(server)
        case .v2:
            builder.push(client)
            builder.push(server)
            builder.add(.op1)
            builder.push(signedScript.bytes)
        }
        return builder.script
    }
}
