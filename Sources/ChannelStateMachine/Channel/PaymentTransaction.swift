import BitcoinPrimitives

/// The transaction each client payment signs: contract output 0 in (sequence final, lock time
/// 0), one output of the client's change to the client's script. With zero change the client
/// signs `SIGHASH_NONE|ANYONECANPAY` and the output is left out.
///
/// Both sighash types carry ANYONECANPAY, so the legacy preimage holds only this one input; it
/// is assembled here directly from a prefix serialized once per channel, then hashed once.
/// Tests check it against the general
/// `Transaction.legacySignatureHash(inputIndex:scriptCode:type:)` (`BitcoinPrimitives`).
public struct PaymentTransaction: Sendable {
    /// The contract's output 0, which every payment spends.
    public let contractOutpoint: OutPoint
    /// Where the client's change goes.
    public let clientOutputScript: Script
    /// The script the signatures commit to (the script code of the contract output).
    public let signedScript: Script
    /// version ‖ input count ‖ outpoint ‖ script code ‖ sequence: the same for every payment.
    private let preimagePrefix: [UInt8]

    /// The payments of one channel: spending `contractOutpoint`, change to `clientOutputScript`,
    /// signing `signedScript`.
    public init(contractOutpoint: OutPoint, clientOutputScript: Script, signedScript: Script) {
        self.contractOutpoint = contractOutpoint
        self.clientOutputScript = clientOutputScript
        self.signedScript = signedScript
        var writer = ByteWriter(capacity: 64 + signedScript.count)
        writer.writeUInt32LE(1)
        writer.writeCompactSize(1)
        writer.write(contractOutpoint.txid.internalBytes)
        writer.writeUInt32LE(contractOutpoint.index)
        writer.writeVarBytes(signedScript.bytes)
        writer.writeUInt32LE(TransactionInput.finalSequence)
        preimagePrefix = writer.bytes
    }

    /// The sighash type a payment with this change must use.
    public static func sighashType(change: Amount) -> SighashType {
        change == .zero ? .noneAnyoneCanPay : .singleAnyoneCanPay
    }

    /// The unsigned payment transaction for `change`.
    public func unsigned(change: Amount) -> Transaction {
        Transaction(
            version: 1,
            inputs: [TransactionInput(previousOutput: contractOutpoint)],
            outputs: change == .zero ? [] : [TransactionOutput(value: change, scriptPubKey: clientOutputScript)],
            lockTime: 0)
    }

    /// The hash the client signs for `change`.
    public func sighash(change: Amount) -> Hash256 {
        var writer = ByteWriter(capacity: preimagePrefix.count + 26 + clientOutputScript.count)
        writer.write(preimagePrefix)
        if change == .zero {
            writer.writeCompactSize(0)
        } else {
            writer.writeCompactSize(1)
            writer.writeInt64LE(change.satoshis)
            writer.writeVarBytes(clientOutputScript.bytes)
        }
        writer.writeUInt32LE(0)  // lock time
        writer.writeUInt32LE(Self.sighashType(change: change).rawValue)
        return Hashing.sha256d(writer.bytes)
    }

    /// Signs a payment leaving `change` to the client.
    public func sign(change: Amount, key: PrivateKey) -> TransactionSignature {
        key.sign(sighash: sighash(change: change), type: Self.sighashType(change: change))
    }

    /// Checks a client's payment signature: strict DER, low S, the sighash type the change
    /// requires, and valid for the locally rebuilt payment transaction.
    public func verify(signature encoded: [UInt8], change: Amount, clientKey: PublicKey) throws(ChannelError) {
        let signature: TransactionSignature
        do { signature = try TransactionSignature(encoded: encoded) } catch {
            throw .badTransaction("payment signature refused: \(error)")
        }
        try verify(signature, change: change, clientKey: clientKey)
    }

    /// Checks a decoded payment signature: the sighash type the change requires, and valid for
    /// the locally rebuilt payment transaction.
    public func verify(_ signature: TransactionSignature, change: Amount, clientKey: PublicKey) throws(ChannelError) {
        guard signature.sighashType == Self.sighashType(change: change) else {
            throw .badTransaction(
                "New payment signature was not signed with the right SIGHASH flags: \(signature.sighashType)")
        }
        guard clientKey.verify(signature, sighash: sighash(change: change)) else {
            throw .badTransaction("payment signature does not verify")
        }
    }
}
