import BitcoinPrimitives

/// The transaction each client payment signs: contract output 0 in (sequence final, lock time
/// 0), one output of the client's change to the client's script. With zero change the client
/// signs `SIGHASH_NONE|ANYONECANPAY` and the output is left out.
public struct PaymentTransaction: Sendable {
    public let contractOutpoint: OutPoint
    public let clientOutputScript: Script
    public let signedScript: Script

    public init(contractOutpoint: OutPoint, clientOutputScript: Script, signedScript: Script) {
        self.contractOutpoint = contractOutpoint
        self.clientOutputScript = clientOutputScript
        self.signedScript = signedScript
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
        unsigned(change: change).legacySighash(
            inputIndex: 0, scriptCode: signedScript, type: Self.sighashType(change: change))
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
        guard signature.sighashType == Self.sighashType(change: change) else {
            throw .badTransaction(
                "payment signature uses \(signature.sighashType), expected \(Self.sighashType(change: change))")
        }
        guard clientKey.verify(signature, sighash: sighash(change: change)) else {
            throw .badTransaction("payment signature does not verify")
        }
    }
}
