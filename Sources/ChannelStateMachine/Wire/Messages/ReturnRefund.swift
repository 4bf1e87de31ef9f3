/// `ReturnRefund` (protocol version 1): the server's signature over the client's refund.
public struct ReturnRefund: Hashable, Sendable {
    /// DER signature followed by the sighash byte (`SIGHASH_NONE|SIGHASH_ANYONECANPAY`), as
    /// received. Decoding only checks its length (``WireLimits/signatureLengths``); the state
    /// machine checks the encoding and the sighash type.
    public var signature: [UInt8]

    /// Creates the message.
    public init(signature: [UInt8]) {
        self.signature = signature
    }
}
