import BitcoinPrimitives

/// The negotiated shape of one channel's contract: version, keys and expiry, and the scripts
/// they determine.
public struct ChannelContract: Sendable, Hashable {
    public let version: ProtocolVersion
    public let clientKey: PublicKey
    public let serverKey: PublicKey
    public let expiry: UInt64

    public init(version: ProtocolVersion, clientKey: PublicKey, serverKey: PublicKey, expiry: UInt64) {
        self.version = version
        self.clientKey = clientKey
        self.serverKey = serverKey
        self.expiry = expiry
    }

    /// The script payments and the settlement sign: the 2-of-2 multisig (v1) or the CLTV
    /// channel redeem script (v2).
    public var signedScript: Script {
        switch version {
        case .v1: return MultisigTemplate.script(required: 2, keys: [clientKey, serverKey])
        case .v2: return ChannelScriptTemplate.redeemScript(server: serverKey, client: clientKey, expiry: Int64(expiry))
        }
    }

    /// The script of contract output 0: the multisig itself (v1) or P2SH of the redeem script (v2).
    public var outputScript: Script {
        switch version {
        case .v1: return signedScript
        case .v2: return P2SHTemplate.script(redeemScript: signedScript)
        }
    }

    /// The scriptSig spending the contract through the payment path with both signatures.
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
