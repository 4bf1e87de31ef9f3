import BitcoinPrimitives
import ChannelStateMachine
import Testing

/// Checks shared by the conversation tests.
extension ConversationHarness {
    /// Opens a channel and checks both sides agree it is open with `version`.
    func openChannel(expecting version: ProtocolVersion, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> Hash256
    {
        connect()
        deliverAll()
        #expect(client.isOpen, "client is not open: \(clientEvents)", sourceLocation: sourceLocation)
        let record = try #require(client.record, sourceLocation: sourceLocation)
        let txid = record.contractTxid
        #expect(record.version == version, sourceLocation: sourceLocation)
        #expect(clientStore[txid]?.state == .open, sourceLocation: sourceLocation)
        #expect(serverStore[txid]?.state == .open, sourceLocation: sourceLocation)
        #expect(server.record?.version == version, sourceLocation: sourceLocation)
        checkContractAndRefund(txid: txid, sourceLocation: sourceLocation)
        return txid
    }

    /// The contract's input spends the funding output validly; the refund spends the contract,
    /// is locked until expiry (CLTV path in v2) and its timer is armed after expiry.
    func checkContractAndRefund(txid: Hash256, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let record = clientStore[txid] else {
            Issue.record("no client record", sourceLocation: sourceLocation)
            return
        }
        let contract = record.contract
        #expect(fundingOutpoints.contains(contract.inputs[0].previousOutput), sourceLocation: sourceLocation)
        learn(contract)
        verifyAllInputs(contract, "contract", sourceLocation: sourceLocation)
        #expect(serverBroadcasts.contains { $0.0 == contract && $0.1 == .contract }, sourceLocation: sourceLocation)
        #expect(clientBroadcasts.contains { $0.0 == contract && $0.1 == .contract }, sourceLocation: sourceLocation)
        let refund = record.refund
        verifyAllInputs(refund, "refund", sourceLocation: sourceLocation)
        #expect(refund.inputs.count == 1 && refund.outputs.count == 1, sourceLocation: sourceLocation)
        #expect(refund.inputs[0].previousOutput == OutPoint(txid: txid, index: 0), sourceLocation: sourceLocation)
        #expect(UInt64(refund.lockTime) == record.expiry, sourceLocation: sourceLocation)
        #expect(refund.outputs[0].scriptPubKey == Script.p2pkh(publicKey: clientKey.publicKey))
        #expect(refund.outputs[0].value == (try? record.channelValue.subtracting(clientConfig.refundFee)))
        // bitcoinj v0.15.10 uses 0xFFFFFFFE in both versions (its recorded v1 PROVIDE_REFUND does
        // too); its v1 server refuses only a final sequence.
        #expect(refund.inputs[0].sequence == 0xffff_fffe, sourceLocation: sourceLocation)
        switch record.version {
        case .v1:
            // OP_0 <client sig> <server sig>: the multisig dummy first.
            #expect(refund.inputs[0].scriptSig.bytes.first == 0x00, sourceLocation: sourceLocation)
        case .v2:
            // ELSE branch: <client sig> OP_0 <redeem script>.
            if let contractScript = try? ChannelContract(
                version: .v2, clientKey: record.clientPublicKey, serverKey: record.serverPublicKey,
                expiry: record.expiry)
            {
                let redeem = contractScript.signedScript.bytes
                #expect(refund.inputs[0].scriptSig.bytes.suffix(redeem.count).elementsEqual(redeem))
                // The byte before the redeem script's push opcode(s) is OP_0 (the ELSE branch).
                let pushOpcodes = redeem.count < 76 ? 1 : 2
                let beforeRedeem = refund.inputs[0].scriptSig.bytes.dropLast(redeem.count + pushOpcodes)
                #expect(beforeRedeem.last == 0x00, sourceLocation: sourceLocation)
            }
        }
        let timer = ChannelTimer.refundAfterExpiry(contractTxid: txid)
        if let at = clientTimers[timer] {
            #expect(at >= record.expiry, "refund timer armed before expiry", sourceLocation: sourceLocation)
        }
    }

    /// After a close: both sides hold the same settlement; it pays the client exactly its last
    /// change and the server the rest minus the fee, and its input verifies.
    func checkSettlement(txid: Hash256, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let settled = try #require(serverSettlement, "server did not settle", sourceLocation: sourceLocation)
        let clientRecord = try #require(clientStore[txid], sourceLocation: sourceLocation)
        let serverRecord = try #require(serverStore[txid], sourceLocation: sourceLocation)
        #expect(serverRecord.state == .settled, sourceLocation: sourceLocation)
        #expect(serverRecord.settlement == settled.tx, sourceLocation: sourceLocation)
        #expect(clientSettlement == settled.tx, "client did not see the settlement", sourceLocation: sourceLocation)
        #expect(clientRecord.state == .settled, sourceLocation: sourceLocation)
        #expect(serverBroadcasts.contains { $0.0 == settled.tx && $0.1 == .settlement })
        let tx = settled.tx
        verifyAllInputs(tx, "settlement", sourceLocation: sourceLocation)
        #expect(tx.inputs.count == 1, sourceLocation: sourceLocation)
        let clientScript = Script.p2pkh(publicKey: clientKey.publicKey)
        let toClient = try Amount.sum(tx.outputs.filter { $0.scriptPubKey == clientScript }.map(\.value))
        let toServer = try Amount.sum(
            tx.outputs.filter { $0.scriptPubKey == serverConfig.payoutScript }.map(\.value))
        #expect(toClient == clientRecord.valueLeft, sourceLocation: sourceLocation)
        if clientRecord.valueLeft == .zero {
            #expect(tx.outputs.count == 1, "no client output when the change is zero", sourceLocation: sourceLocation)
        } else {
            #expect(tx.outputs.count == 2, sourceLocation: sourceLocation)
            #expect(
                tx.outputs.first?.scriptPubKey == clientScript, "client output first", sourceLocation: sourceLocation)
        }
        #expect(
            toServer == (try serverRecord.bestValueToServer.subtracting(settled.fee)), sourceLocation: sourceLocation)
        #expect(
            (try toClient.adding(toServer).adding(settled.fee)) == clientRecord.channelValue,
            sourceLocation: sourceLocation)
        #expect(settled.fee > .zero, sourceLocation: sourceLocation)
        #expect(serverTimers.isEmpty, "server settle timer left armed", sourceLocation: sourceLocation)
        #expect(clientTimers.isEmpty, "client refund timer left armed", sourceLocation: sourceLocation)
        #expect(client.isClosed && server.isClosed, sourceLocation: sourceLocation)
    }

    /// The server's stored best value equals what the client signed away, and the client's
    /// machine agrees with its store.
    func checkBalances(txid: Hash256, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let clientRecord = clientStore[txid], let serverRecord = serverStore[txid] else {
            Issue.record("missing records", sourceLocation: sourceLocation)
            return
        }
        #expect(serverRecord.bestValueToServer == clientRecord.paidToServer, sourceLocation: sourceLocation)
        if let live = client.record {
            #expect(live.valueLeft == clientRecord.valueLeft, sourceLocation: sourceLocation)
        }
        if let live = server.record {
            #expect(live.bestValueToServer == serverRecord.bestValueToServer, sourceLocation: sourceLocation)
        }
    }
}
