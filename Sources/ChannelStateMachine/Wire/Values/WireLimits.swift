/// Limits the codec enforces on received messages.
public enum WireLimits {
    /// The largest message body bitcoinj accepts (`Short.MAX_VALUE`), without the 4-byte length
    /// prefix of the TCP framing. Decoding refuses anything longer.
    public static let maxMessageSize = 32_767

    /// Accepted lengths of a received signature (DER plus the sighash byte). Strict DER is 8 to
    /// 72 bytes; the upper bound leaves room for lax encodings so that the state machine, not
    /// the codec, reports them.
    public static let signatureLengths: ClosedRange<Int> = 9...80

    /// The length of `previous_channel_contract_hash`.
    public static let contractHashLength = 32
}
