import CShims

/// Checks signatures and lock times against one input of a transaction (Core's
/// `GenericTransactionSignatureChecker`). Holds the ``SighashCache`` so that every signature
/// of the transaction shares the BIP143 hashes.
struct TransactionSignatureChecker {
    var cache: SighashCache
    let inputIndex: Int
    let amount: Amount

    var transaction: Transaction { cache.transaction }

    /// Whether `signature` (DER plus sighash byte) by `publicKey` signs this input under
    /// `scriptCode`. Encoding rules are checked before this is called; here a signature that
    /// cannot be parsed simply does not verify.
    mutating func checkSignature(
        _ signature: [UInt8], publicKey: [UInt8], scriptCode: Script, sigVersion: SigVersion
    ) -> Bool {
        guard let key = try? PublicKey(bytes: publicKey), let typeByte = signature.last else { return false }
        let type = SighashType(rawValue: UInt32(typeByte))
        let sighash: Hash256
        do {
            switch sigVersion {
            case .base:
                sighash = try cache.legacySignatureHash(inputIndex: inputIndex, scriptCode: scriptCode, type: type)
            case .witnessV0:
                sighash = try cache.segwitV0SignatureHash(
                    inputIndex: inputIndex, scriptCode: scriptCode, amount: amount, type: type)
            }
        } catch {
            return false
        }
        return Self.verify(der: signature.dropLast(), hash: sighash, key: key)
    }

    /// Verifies a DER signature with S normalized to the low half first, as Core does (the
    /// low-S rule itself is enforced separately, by flag).
    private static func verify(der: ArraySlice<UInt8>, hash: Hash256, key: PublicKey) -> Bool {
        var normalized = [UInt8](repeating: 0, count: 72)
        let length = der.withContiguousStorageIfAvailable { input in
            normalized.withUnsafeMutableBufferPointer {
                paychan_ecdsa_der_normalize(input.baseAddress, input.count, $0.baseAddress)
            }
        }
        guard let length, length > 0 else { return false }
        return key.verify(ECDSASignature(validatedDER: Array(normalized.prefix(length))), hash: hash.internalBytes)
    }

    /// BIP65: the transaction's lock time must be of the same kind (height or time) as
    /// `lockTime` and at least as large, and the input must not be final.
    func checkLockTime(_ lockTime: Int64) throws(ScriptError) {
        let txLockTime = Int64(transaction.lockTime)
        let threshold = ScriptLimits.lockTimeThreshold
        guard (txLockTime < threshold) == (lockTime < threshold) else { throw .lockTimeTypeMismatch }
        guard lockTime <= txLockTime else { throw .lockTimeNotReached }
        guard transaction.inputs[inputIndex].sequence != TransactionInput.finalSequence else {
            throw .inputSequenceFinal
        }
    }
}
