import BitcoinPrimitives

extension ClientChannel {
    mutating func receiveServerVersion(_ message: ServerVersion) throws(ChannelError) -> [ClientEffect] {
        guard case .awaitingServerVersion = state else { throw .syntax("SERVER_VERSION not expected now") }
        guard let version = config.versionSelector.accepts(message.major) else {
            throw ChannelError(.noAcceptableVersion, "server answered with protocol version \(message.major)")
        }
        state = .awaitingInitiate(version)
        return []
    }

    mutating func receiveInitiate(_ message: Initiate, now: UInt64) throws(ChannelError) -> [ClientEffect] {
        guard case .awaitingInitiate(let version) = state else { throw .syntax("INITIATE not expected now") }
        let expiry = message.expireTimeSecs
        guard expiry > now, expiry <= config.latestAcceptableExpiry(now: now), expiry <= UInt64(UInt32.max) else {
            throw ChannelError(.timeWindowUnacceptable, "expiry \(expiry) is outside what we asked for", origin: .local)
        }
        guard let minChannel = try? Amount(satoshis: message.minAcceptedChannelSize),
            minChannel <= config.channelValue
        else {
            throw ChannelError(
                .channelValueTooLarge, "server wants at least \(message.minAcceptedChannelSize) sat", origin: .local)
        }
        guard let minPayment = try? Amount(satoshis: message.minPayment), minPayment <= config.maxMinPayment else {
            throw ChannelError(
                .minPaymentTooLarge, "server wants payments of at least \(message.minPayment) sat", origin: .local,
                expectedValue: config.maxMinPayment.unsignedSatoshis)
        }
        guard let spendable = try? config.channelValue.subtracting(config.refundFee), minPayment < spendable else {
            throw ChannelError(.channelValueTooLarge, "channel value too small for this server", origin: .local)
        }
        let contract = try ChannelContract(
            version: version, clientKey: key.publicKey, serverKey: message.multisigKey, expiry: expiry)
        state = .awaitingFunding(ClientTerms(contract: contract, minPayment: minPayment))
        var effects: [ClientEffect] = []
        if let resumable { effects.append(.report(.resumeRefused(contractTxid: resumable.contractTxid))) }
        effects.append(
            .fundContract(
                output: TransactionOutput(
                    value: config.channelValue,
                    scriptPubKey: contract.outputScript)))
        return effects
    }

    /// The caller's wallet funded the contract: `contract` is signed and its output 0 is exactly
    /// the output asked for.
    public mutating func contractFunded(_ contract: Transaction, now: UInt64) -> [ClientEffect] {
        guard case .awaitingFunding(let terms) = state else { return [] }
        let expected = TransactionOutput(value: config.channelValue, scriptPubKey: terms.contract.outputScript)
        guard contract.outputs.first == expected else {
            return fail(
                ChannelError(.other, "the funded contract's output 0 is not the channel output", origin: .local))
        }
        let refund = unsignedRefund(terms: terms, contractTxid: contract.txid)
        switch terms.contract.version {
        case .v1:
            state = .awaitingRefundSignature(terms, contract: contract, refund: refund)
            return [.send(.provideRefund(ProvideRefund(multisigKey: key.publicKey, tx: WireTransaction(refund))))]
        case .v2:
            var signed = refund
            let sighash: Hash256
            do { sighash = try refund.inputZeroSighash(terms.contract.signedScript, .all) } catch { return fail(error) }
            let signature = key.sign(sighash: sighash, type: .all)
            var scriptSig = ScriptBuilder()
            scriptSig.push(signature.encoded)
            scriptSig.add(.op0)
            scriptSig.push(terms.contract.signedScript.bytes)
            signed.inputs[0].scriptSig = scriptSig.script
            return handOverContract(terms: terms, contract: contract, signedRefund: signed)
        }
    }

    /// The caller's wallet could not fund the contract.
    public mutating func fundingFailed(_ explanation: String) -> [ClientEffect] {
        guard case .awaitingFunding = state else { return [] }
        return fail(ChannelError(.other, "could not fund the channel: \(explanation)", origin: .local))
    }

    private func unsignedRefund(terms: ClientTerms, contractTxid: Hash256) -> Transaction {
        // The refund value is checked in receiveInitiate: channelValue > refundFee + minPayment.
        let value = (try? config.channelValue.subtracting(config.refundFee)) ?? .zero
        return Transaction(
            version: 1,
            inputs: [
                TransactionInput(
                    previousOutput: OutPoint(txid: contractTxid, index: 0),
                    sequence: TransactionInput.finalSequence - 1)
            ],
            outputs: [TransactionOutput(value: value, scriptPubKey: Script.p2pkh(publicKey: key.publicKey))],
            lockTime: UInt32(clamping: terms.contract.expiry))
    }

    mutating func receiveReturnRefund(_ message: ReturnRefund) throws(ChannelError) -> [ClientEffect] {
        guard case .awaitingRefundSignature(let terms, let contract, let refund) = state else {
            throw .syntax("RETURN_REFUND not expected now")
        }
        let serverSignature: TransactionSignature
        do { serverSignature = try TransactionSignature(encoded: message.signature) } catch {
            throw .badTransaction("refund signature refused: \(error)")
        }
        guard serverSignature.sighashType == .noneAnyoneCanPay else {
            throw .badTransaction("refund signature must be SIGHASH_NONE|SIGHASH_ANYONECANPAY")
        }
        let script = terms.contract.signedScript
        guard
            terms.contract.serverKey.verify(
                serverSignature, sighash: try refund.inputZeroSighash(script, .noneAnyoneCanPay))
        else { throw .badTransaction("the server's refund signature does not verify") }
        let clientSignature = key.sign(sighash: try refund.inputZeroSighash(script, .all), type: .all)
        var signed = refund
        var scriptSig = ScriptBuilder()
        scriptSig.add(.op0)
        scriptSig.push(clientSignature.encoded)
        scriptSig.push(serverSignature.encoded)
        signed.inputs[0].scriptSig = scriptSig.script
        return handOverContract(terms: terms, contract: contract, signedRefund: signed)
    }

    /// Checks the refund, makes the initial payment, persists the channel, then sends the
    /// contract: nothing is handed over before the refund is stored.
    private mutating func handOverContract(terms: ClientTerms, contract: Transaction, signedRefund: Transaction)
        -> [ClientEffect]
    {
        let contractOutput = contract.outputs[0]
        do {
            try ScriptVerifier.verify(transaction: signedRefund, inputIndex: 0, spentOutput: contractOutput)
        } catch {
            return fail(ChannelError(.badTransaction, "our refund does not verify: \(error)", origin: .local))
        }
        let initialChange = changeAfterPaying(
            terms.minPayment, from: config.channelValue, changeScript: Script.p2pkh(publicKey: key.publicKey))
        var record = ClientChannelRecord(
            version: terms.contract.version, serverID: serverID, contract: contract, channelValue: config.channelValue,
            refund: signedRefund, clientKeyIndex: keyIndex, clientPublicKey: key.publicKey,
            serverPublicKey: terms.contract.serverKey, expiry: terms.contract.expiry, valueLeft: initialChange,
            minPayment: terms.minPayment, state: .opening)
        var channel: OpenClientChannel
        do { channel = try OpenClientChannel(record: record) } catch { return fail(error) }
        let signature = channel.payment.sign(change: initialChange, key: key)
        record.valueLeft = initialChange
        channel.record = record
        channel.inFlight = [((try? config.channelValue.subtracting(initialChange)) ?? .zero, initialChange)]
        state = .awaitingChannelOpen(channel)
        let initialPayment = UpdatePayment(
            clientChangeValue: initialChange.unsignedSatoshis, signature: signature.encoded, info: nil)
        let provide = ProvideContract(
            tx: WireTransaction(contract), initialPayment: initialPayment,
            clientKey: terms.contract.version == .v2 ? key.publicKey : nil)
        return [.persist(.channel(record)), .send(.provideContract(provide))]
    }

    /// The change left after paying `amount`, rounded down to zero when an output of it to
    /// `changeScript` (the client's P2PKH script, passed in so that a payment does not hash the
    /// key again) would be dust.
    func changeAfterPaying(_ amount: Amount, from valueLeft: Amount, changeScript: Script) -> Amount {
        guard let change = try? valueLeft.subtracting(amount) else { return .zero }
        return TransactionOutput(value: change, scriptPubKey: changeScript).isDust() ? .zero : change
    }

    mutating func receiveChannelOpen() throws(ChannelError) -> [ClientEffect] {
        switch state {
        case .awaitingChannelOpen(var channel):
            let initial = channel.inFlight.first?.amount ?? .zero
            channel.inFlight = []
            channel.record.state = .open
            state = .ready(channel)
            let record = channel.record
            return [
                .persist(.state(contractTxid: record.contractTxid, .open, settlement: nil)),
                .broadcast(record.contract, .contract),
                .report(
                    .channelOpened(
                        contractTxid: record.contractTxid, value: record.channelValue,
                        valueLeft: record.valueLeft, expiry: record.expiry, resumed: false)),
                .report(.paymentAcknowledged(amount: initial, valueLeft: record.valueLeft, info: nil)),
                .armTimer(.refundAfterExpiry(contractTxid: record.contractTxid), at: refundTime(record.expiry)),
            ]
        case .awaitingInitiate(let version):
            guard let record = resumable, record.version == version else {
                throw .syntax("CHANNEL_OPEN for a channel we did not offer")
            }
            state = .ready(try OpenClientChannel(record: record))
            return [
                .report(
                    .channelOpened(
                        contractTxid: record.contractTxid, value: record.channelValue,
                        valueLeft: record.valueLeft, expiry: record.expiry, resumed: true)),
                .armTimer(.refundAfterExpiry(contractTxid: record.contractTxid), at: refundTime(record.expiry)),
            ]
        default:
            throw .syntax("CHANNEL_OPEN not expected now")
        }
    }

    func refundTime(_ expiry: UInt64) -> UInt64 {
        let (sum, overflow) = expiry.addingReportingOverflow(config.refundMargin)
        return overflow ? UInt64.max : sum
    }
}
