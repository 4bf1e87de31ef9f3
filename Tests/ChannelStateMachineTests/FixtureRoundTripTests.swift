import BitcoinPrimitives
import ChannelStateMachine
import Foundation
import Testing

/// Every message bitcoinj recorded decodes, re-encodes to the same bytes, and decodes to the
/// fields the fixtures list.
@Suite struct FixtureRoundTripTests {
    @Test func everyRecordedMessageRoundTrips() throws {
        let messages = try Fixtures.allMessages()
        #expect(messages.count > 50)
        var roundTripped = 0
        var refused = 0
        for recorded in messages {
            let provideContract = recorded.decoded["provide_contract"] as? [String: Any]
            let contractTx = provideContract?["tx"] as? [String: Any]
            if contractTx?["parse_error"] != nil {
                // E6: a contract that does not parse. The codec answers as bitcoinj did.
                #expect(throws: WireError.self, "\(recorded.label)") { try ChannelMessage(decoding: recorded.bytes) }
                do {
                    _ = try ChannelMessage(decoding: recorded.bytes)
                } catch {
                    #expect(error.code == .badTransaction, "\(recorded.label)")
                    #expect(error.reason == .invalidTransaction)
                    #expect(error.messageType == .provideContract)
                }
                refused += 1
                continue
            }
            let message: ChannelMessage
            do {
                message = try ChannelMessage(decoding: recorded.bytes)
            } catch {
                Issue.record("\(recorded.label): \(error)")
                continue
            }
            #expect(message.type.protoName == recorded.type, "\(recorded.label)")
            #expect(message.encoded().hex == recorded.bytes.hex, "\(recorded.label)")
            let ours = try DecodedRendering.canonical(DecodedRendering.render(message))
            let theirs = try DecodedRendering.canonical(DecodedRendering.stripAnnotations(recorded.decoded))
            #expect(ours == theirs, "\(recorded.label)")
            checkSighashAnnotations(recorded.decoded, label: recorded.label)
            roundTripped += 1
        }
        print(
            "fixtures: \(roundTripped) messages decoded and re-encoded byte for byte, \(refused) refused as bitcoinj did"
        )
        #expect(refused == 1)
    }

    @Test func typedFieldsOfKeyMessages() throws {
        let messages = try Fixtures.allMessages()
        let serverKey = try PublicKey(
            bytes: [UInt8](hex: "034f17d6f4fd79aa56bbacfacc95e5114ece1fe17e2a5002e87e0e961e23824408") ?? [])
        let clientKey = try PublicKey(
            bytes: [UInt8](hex: "02f7a17060223b373a146e7d6f3b60440b8c3681a834a86f0265007429aafdcc08") ?? [])
        var initiates = 0
        var resumes = 0
        for recorded in messages {
            // E6's unparseable contract is covered above.
            guard let message = try? ChannelMessage(decoding: recorded.bytes) else { continue }
            switch message {
            case .initiate(let initiate):
                #expect(initiate.multisigKey == serverKey)
                #expect(initiate.expireTimeSecs == 1_767_311_940)
                #expect(try initiate.minPaymentAmount() == Amount(exactly: 1000))
                #expect(try initiate.minAcceptedChannelAmount() == Amount(exactly: 100_000))
                initiates += 1
            case .clientVersion(let version) where version.previousChannelContractHash != nil:
                #expect(
                    version.previousChannelContractHash?.displayHex
                        == "0510f3d15b31578866a879f07ceadee6831bce174624a173394508b4bbc25bdd")
                resumes += 1
            case .provideContract(let contract) where contract.clientKey != nil:
                #expect(contract.clientKey == clientKey)
                #expect(contract.tx.transaction.serialized == contract.tx.bytes)
            case .provideRefund(let refund):
                #expect(refund.multisigKey == clientKey)
                #expect(refund.tx.transaction.lockTime == 1_767_311_940)
            case .error(let error):
                #expect(error.hasCode)
                #expect([ErrorCode.noAcceptableVersion, .badTransaction].contains(error.code))
            default:
                break
            }
        }
        #expect(initiates == 8)
        #expect(resumes == 1)
    }

    /// The fixture's `signature_sighash` names the signature's last byte.
    private func checkSighashAnnotations(_ value: Any, label: String) {
        guard let dict = value as? [String: Any] else { return }
        if let annotation = dict["signature_sighash"] as? String, let signature = dict["signature"] as? String {
            #expect(annotation.hasSuffix("(0x\(signature.suffix(2)))"), "\(label)")
        }
        for inner in dict.values { checkSighashAnnotations(inner, label: label) }
    }
}
