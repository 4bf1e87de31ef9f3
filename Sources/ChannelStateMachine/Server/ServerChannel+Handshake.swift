import BitcoinPrimitives

extension ServerChannel {
    mutating func receiveClientVersion(_ message: ClientVersion, now: UInt64) throws(ChannelError) -> [ServerEffect] {
        guard case .awaitingClientVersion = state else { throw .syntax("CLIENT_VERSION received twice") }
        // The client's major when we speak it; otherwise fall back to the highest version below it
        // that we speak (a v1-only server answers 1 to a client asking 2, which a
        // VERSION_2_ALLOW_1 client accepts and any other client refuses).
        guard let asked = ProtocolVersion(rawValue: message.major),
            let version = config.supportedVersions.contains(asked)
                ? asked : config.supportedVersions.filter({ $0 < asked }).max()
        else {
            let offered = config.supportedVersions.map(\.rawValue).sorted().map(String.init).joined(separator: ", ")
            throw ChannelError(
                .noAcceptableVersion,
                "This server needs one of protocol versions [\(offered)] , client offered \(message.major)")
        }
        let window = min(max(message.timeWindowSecs, config.minTimeWindow), config.maxTimeWindow)
        let (expiry, overflow) = now.addingReportingOverflow(window)
        guard !overflow else { throw ChannelError(.other, "clock out of range", origin: .local) }
        let terms = NewChannelTerms(version: version, expiry: expiry, timeWindow: window)
        let serverVersion = ChannelMessage.serverVersion(ServerVersion(major: version.rawValue, minor: 0))
        if let previous = message.previousChannelContractHash {
            state = .awaitingStoredChannel(terms)
            return [.send(serverVersion), .lookUpStoredChannel(contractTxid: previous)]
        }
        return [.send(serverVersion)] + offerNewChannel(terms)
    }

    /// The caller found the stored channel the client asked to resume. `key` is the key
    /// derived at `record.serverKeyIndex`. A channel that is not open, or belongs to another
    /// protocol version, is not resumed: a new channel is offered instead.
    public mutating func storedChannelFound(_ record: ServerChannelRecord, key: PrivateKey, now: UInt64)
        -> [ServerEffect]
    {
        guard case .awaitingStoredChannel(let terms) = state else { return [] }
        guard record.state == .open, record.version == terms.version, now < record.expiry,
            let channel = try? OpenServerChannel(record: record, key: key, payoutScript: config.payoutScript)
        else { return offerNewChannel(terms) }
        state = .ready(channel)
        return [
            .send(.channelOpen),
            .report(
                .channelOpened(
                    contractTxid: record.contractTxid, value: record.channelValue,
                    expiry: record.expiry, version: record.version, resumed: true)),
            .armTimer(.settleBeforeExpiry(contractTxid: record.contractTxid), at: settleTime(record.expiry)),
        ]
    }

    /// The caller has no open channel by that hash (or it is in use elsewhere and may not be
    /// taken over): a new channel is offered.
    public mutating func storedChannelMissing(now: UInt64) -> [ServerEffect] {
        guard case .awaitingStoredChannel(let terms) = state else { return [] }
        return offerNewChannel(terms)
    }

    /// The caller has the channel but cannot serve it now (another server node holds it and
    /// did not let it go in time): the client is told so with `ERROR` (code OTHER) and the
    /// connection closed, without offering a new channel, so that the client keeps its channel
    /// and can try again later.
    public mutating func storedChannelUnavailable(_ explanation: String, now: UInt64) -> [ServerEffect] {
        guard case .awaitingStoredChannel = state else { return [] }
        return fail(ChannelError(.other, explanation, origin: .local))
    }

    private mutating func offerNewChannel(_ terms: NewChannelTerms) -> [ServerEffect] {
        state = terms.version == .v1 ? .awaitingRefund(terms) : .awaitingContract(terms, nil)
        let initiate = Initiate(
            multisigKey: newChannelKey.publicKey, minAcceptedChannelSize: config.minChannelValue.unsignedSatoshis,
            expireTimeSecs: terms.expiry, minPayment: config.minPayment.unsignedSatoshis)
        return [.send(.initiate(initiate))]
    }

    func settleTime(_ expiry: UInt64) -> UInt64 {
        expiry > config.expirySettlementMargin ? expiry - config.expirySettlementMargin : 0
    }

    mutating func receiveRefund(_ message: ProvideRefund) throws(ChannelError) -> [ServerEffect] {
        guard case .awaitingRefund(let terms) = state else { throw .syntax("PROVIDE_REFUND not expected now") }
        let refund = message.tx.transaction
        guard refund.inputs.count == 1 else {
            throw .badTransaction("Refund transaction does not have exactly one input")
        }
        guard refund.outputs.count == 1 else {
            throw .badTransaction("Refund transaction does not have exactly one output")
        }
        guard refund.inputs[0].previousOutput.index == 0 else {
            throw .badTransaction("Refund transaction must spend output 0 of the contract")
        }
        guard refund.inputs[0].sequence != TransactionInput.finalSequence else {
            throw .badTransaction("Refund transaction's input's sequence number disables lock time")
        }
        guard UInt64(refund.lockTime) == terms.expiry else {
            throw .badTransaction("Refund transaction's lock time \(refund.lockTime) is not the expiry \(terms.expiry)")
        }
        let output = refund.outputs[0]
        guard !output.isDust() else { throw .badTransaction("Refund output is dust") }
        let contract = try ChannelContract(
            version: .v1, clientKey: message.multisigKey, serverKey: newChannelKey.publicKey, expiry: terms.expiry)
        let sighash = try refund.inputZeroSighash(contract.signedScript, .noneAnyoneCanPay)
        let signature = newChannelKey.sign(sighash: sighash, type: .noneAnyoneCanPay)
        state = .awaitingContract(
            terms, V1Refund(clientKey: message.multisigKey, refund: refund, clientOutputScript: output.scriptPubKey))
        return [.send(.returnRefund(ReturnRefund(signature: signature.encoded)))]
    }

    mutating func receiveContract(_ message: ProvideContract, now: UInt64) throws(ChannelError) -> [ServerEffect] {
        guard case .awaitingContract(let terms, let v1Refund) = state else {
            throw .syntax("PROVIDE_CONTRACT not expected now")
        }
        let clientKey: PublicKey
        let clientOutputScript: Script
        switch terms.version {
        case .v1:
            guard let v1Refund else { throw .syntax("PROVIDE_CONTRACT before PROVIDE_REFUND") }
            clientKey = v1Refund.clientKey
            clientOutputScript = v1Refund.clientOutputScript
        case .v2:
            guard let key = message.clientKey else { throw .syntax("PROVIDE_CONTRACT without client_key in version 2") }
            clientKey = key
            clientOutputScript = Script.p2pkh(publicKey: key)
        }
        let tx = message.tx.transaction
        guard !tx.inputs.isEmpty, !tx.outputs.isEmpty else {
            throw .badTransaction("Transaction had no inputs or no outputs.")
        }
        guard (try? tx.totalOutputValue()) != nil else { throw .badTransaction("contract outputs exceed 21e6 BTC") }
        let contract = try ChannelContract(
            version: terms.version, clientKey: clientKey, serverKey: newChannelKey.publicKey, expiry: terms.expiry)
        let output = tx.outputs[0]
        guard output.scriptPubKey == contract.outputScript else {
            throw .badTransaction(
                terms.version == .v1
                    ? "Contract's first output was not a standard 2-of-2 multisig to client and server in that order."
                    : "P2SH hash didn't match required contract - contract should be a CLTV micropayment channel to client and server in that order."
            )
        }
        guard output.value >= config.minChannelValue else {
            throw ChannelError(
                .badTransaction, "channel value \(output.value) is below the minimum \(config.minChannelValue)",
                expectedValue: config.minChannelValue.unsignedSatoshis)
        }
        let txid = tx.txid
        if let v1Refund, v1Refund.refund.inputs[0].previousOutput != OutPoint(txid: txid, index: 0) {
            throw .badTransaction("the signed refund does not spend this contract's output 0")
        }
        var record = ServerChannelRecord(
            version: terms.version, contract: tx, channelValue: output.value, serverKeyIndex: newChannelKeyIndex,
            serverPublicKey: newChannelKey.publicKey, clientPublicKey: clientKey,
            clientOutputScript: clientOutputScript,
            expiry: terms.expiry, bestValueToServer: .zero, bestSignature: [], state: .opening)
        var channel = try OpenServerChannel(record: record, key: newChannelKey, payoutScript: config.payoutScript)
        let initial = try checkPayment(message.initialPayment, on: channel, initial: true)
        guard initial.valueToServer >= config.minPayment else {
            throw ChannelError(
                .badTransaction, "initial payment \(initial.valueToServer) is below the minimum \(config.minPayment)",
                expectedValue: config.minPayment.unsignedSatoshis)
        }
        record.bestValueToServer = initial.valueToServer
        record.bestSignature = message.initialPayment.signature
        channel.record = record
        state = .awaitingContractBroadcast(channel)
        return [.persist(.channel(record)), .broadcast(tx, .contract)]
    }

    /// The result of a broadcast this machine asked for.
    public mutating func broadcastCompleted(_ purpose: BroadcastPurpose, succeeded: Bool, now: UInt64) -> [ServerEffect]
    {
        switch (state, purpose) {
        case (.awaitingContractBroadcast(var channel), .contract):
            let txid = channel.record.contractTxid
            guard succeeded else {
                channel.record.state = .failed
                let effects: [ServerEffect] = [.persist(.state(contractTxid: txid, .failed, settlement: nil))]
                return effects + fail(ChannelError(.other, "the contract could not be broadcast", origin: .local))
            }
            channel.record.state = .open
            state = connectionGone ? .closed : .ready(channel)
            let record = channel.record
            let opened: [ServerEffect] = [
                .persist(.state(contractTxid: txid, .open, settlement: nil)),
                .report(
                    .channelOpened(
                        contractTxid: txid, value: record.channelValue, expiry: record.expiry,
                        version: record.version, resumed: false)),
                .report(
                    .paymentReceived(
                        contractTxid: txid, amount: record.bestValueToServer,
                        totalToServer: record.bestValueToServer, info: nil)),
                .armTimer(.settleBeforeExpiry(contractTxid: txid), at: settleTime(record.expiry)),
            ]
            // Open and stored, so the client can resume it; with the client gone, nothing is sent.
            if connectionGone { return opened + [.report(.closed(.connectionClosed))] }
            return [opened[0], .send(.channelOpen)] + opened.dropFirst()
        case (.settling(let settling), .settlement):
            return settlementBroadcastCompleted(settling, succeeded: succeeded)
        default:
            return []
        }
    }
}
