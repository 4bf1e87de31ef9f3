import BitcoinPrimitives

/// The checks decoding applies to field values, each failing with the ``WireError`` the
/// receiver should answer with.
enum WireValidation {
    /// A public key: 33 bytes starting 02/03 or 65 bytes starting 04 (bitcoinj's
    /// `isPubKeyCanonical`; the hybrid 06/07 forms are refused), and a valid point.
    static func publicKey(_ bytes: [UInt8], field: String, messageType: MessageType) throws(WireError) -> PublicKey {
        let canonicalPrefix: Bool
        switch bytes.count {
        case 33: canonicalPrefix = bytes.first == 0x02 || bytes.first == 0x03
        case 65: canonicalPrefix = bytes.first == 0x04
        default:
            throw WireError(
                reason: .invalidPublicKey, code: .badTransaction,
                explanation: "\(field) is \(bytes.count) bytes, not a 33- or 65-byte public key",
                messageType: messageType)
        }
        guard canonicalPrefix, let key = try? PublicKey(bytes: bytes) else {
            throw WireError(
                reason: .invalidPublicKey, code: .badTransaction,
                explanation: "\(field) is not a valid public key", messageType: messageType)
        }
        return key
    }

    /// A transaction that parses.
    static func transaction(_ bytes: [UInt8], field: String, messageType: MessageType) throws(WireError)
        -> WireTransaction
    {
        do {
            return try WireTransaction(bytes: bytes)
        } catch {
            throw WireError(
                reason: .invalidTransaction, code: .badTransaction,
                explanation: "\(field): \(error.explanation)", messageType: messageType)
        }
    }

    /// A signature of sane length (see ``WireLimits/signatureLengths``). Refused with
    /// `SYNTAX_ERROR` in `UPDATE_PAYMENT` (bitcoinj's server answers a payment signature it cannot
    /// decode so), `BAD_TRANSACTION` elsewhere (the initial payment, the refund's signature).
    static func signature(_ bytes: [UInt8], field: String, messageType: MessageType) throws(WireError) -> [UInt8] {
        guard WireLimits.signatureLengths.contains(bytes.count) else {
            throw WireError(
                reason: .invalidSignature, code: messageType == .updatePayment ? .syntaxError : .badTransaction,
                explanation: "\(field) is \(bytes.count) bytes, outside \(WireLimits.signatureLengths)",
                messageType: messageType)
        }
        return bytes
    }

    /// A 32-byte hash in display order.
    static func displayOrderHash(_ bytes: [UInt8], field: String, messageType: MessageType) throws(WireError)
        -> Hash256
    {
        guard let hash = Hash256(displayOrder: bytes) else {
            throw WireError(
                reason: .invalidHash, code: .syntaxError,
                explanation: "\(field) is \(bytes.count) bytes, not \(WireLimits.contractHashLength)",
                messageType: messageType)
        }
        return hash
    }

    /// A `uint64` wire value that is an amount: at most 21e6 BTC.
    static func amount(_ value: UInt64, field: String, code: ErrorCode, messageType: MessageType) throws(WireError)
        -> Amount
    {
        do {
            return try Amount(satoshis: value)
        } catch {
            throw WireError(
                reason: .amountOutOfRange, code: code,
                explanation: "\(field) \(value) sat is above 21e6 BTC", messageType: messageType)
        }
    }
}
