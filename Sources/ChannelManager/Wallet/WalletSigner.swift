import BitcoinPrimitives

/// Signs the inputs of a wallet transaction and checks them before anything uses it.
enum WalletSigner {
    /// Signs every input of `unsigned` (which spends `inputs`, in order): P2WPKH inputs in their
    /// witness (BIP143), P2PKH inputs in their scriptSig (legacy sighash), all `SIGHASH_ALL`.
    /// Then runs every input through ``ScriptVerifier`` with the standard flags.
    /// - Throws: `.unavailable` when a key cannot be derived, an output is of a kind the wallet
    ///   does not sign, or the signed transaction does not verify.
    static func sign(_ unsigned: Transaction, spending inputs: [WalletOutput], keychain: ChannelKeychain)
        throws(FundingError) -> Transaction
    {
        guard unsigned.inputs.count == inputs.count else {
            throw FundingError(.unavailable, "\(unsigned.inputs.count) inputs but \(inputs.count) outputs to spend")
        }
        var transaction = unsigned
        let spentOutputs = inputs.map { TransactionOutput(value: $0.value, scriptPubKey: $0.scriptPubKey) }
        for (index, input) in inputs.enumerated() {
            do {
                let key = try keychain.key(input.keyFamily, index: input.keyIndex)
                switch WalletScriptKind(input.scriptPubKey) {
                case .p2wpkh:
                    let signature = try unsigned.signSegwitV0Input(index, spentOutput: spentOutputs[index], key: key)
                    transaction.inputs[index].witness = [signature.encoded, key.publicKey.bytes]
                case .p2pkh:
                    guard input.scriptPubKey == .p2pkh(publicKey: key.publicKey) else {
                        throw FundingError(.unavailable, "input \(index) does not pay the key the wallet names")
                    }
                    let signature = try unsigned.signLegacyInput(index, scriptCode: input.scriptPubKey, key: key)
                    var scriptSig = ScriptBuilder()
                    scriptSig.push(signature.encoded)
                    scriptSig.push(key.publicKey.bytes)
                    transaction.inputs[index].scriptSig = scriptSig.script
                case nil:
                    throw FundingError(.unavailable, "input \(index) pays a script the wallet does not sign")
                }
            } catch let error as FundingError {
                throw error
            } catch {
                throw FundingError(.unavailable, "cannot sign input \(index) (\(input.outpoint)): \(error)")
            }
        }
        do { try ScriptVerifier.verify(transaction: transaction, spentOutputs: spentOutputs) } catch {
            throw FundingError(.unavailable, "the signed transaction does not verify: \(error)")
        }
        return transaction
    }
}
