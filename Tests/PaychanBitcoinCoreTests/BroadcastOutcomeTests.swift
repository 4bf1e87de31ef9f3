import ChannelManager
import Testing

@testable import PaychanBitcoinCore

/// The mapping of `sendrawtransaction`'s errors. The recorded scenarios check the answers the
/// recording node gives; these also cover Core's reject reasons that node version no longer
/// sends from `sendrawtransaction` (older nodes, or the same reasons through other calls),
/// with Core's own reason strings (validation.cpp).
@Suite struct BroadcastOutcomeTests {
    private func outcome(_ code: Int64, _ message: String) -> BroadcastOutcome {
        BroadcastOutcome(.node(code: code, message: message))
    }

    @Test func alreadyKnownIsAccepted() {
        #expect(outcome(-27, "Transaction outputs already in utxo set") == .accepted)
        #expect(outcome(-27, "Transaction already in block chain") == .accepted)
        #expect(outcome(-26, "txn-already-in-mempool") == .accepted)
        #expect(outcome(-26, "txn-already-known") == .accepted)
        #expect(outcome(-26, "txn-same-nonwitness-data-in-mempool") == .accepted)
    }

    @Test func kinds() {
        let cases: [(Int64, String, ChainError.Kind)] = [
            (-26, "non-final", .notFinal),
            (-26, "non-BIP68-final", .notFinal),
            (-26, "txn-mempool-conflict", .doubleSpend),
            (
                -26,
                "too many potential replacements, rejecting replacement abc; too many potential replacements (101 > 100)",
                .doubleSpend
            ),
            (-26, "bad-txns-spends-conflicting-tx, abc spends conflicting transaction def", .doubleSpend),
            (-26, "min relay fee not met, 0 < 110", .feeTooLow),
            (-26, "mempool min fee not met, 100 < 200", .feeTooLow),
            (
                -26, "insufficient fee, rejecting replacement abc; new feerate 0.00001 <= old feerate 0.00002",
                .feeTooLow
            ),
            (-26, "insufficient feerate: does not improve feerate diagram", .feeTooLow),
            (-26, "mempool full", .feeTooLow),
            (-26, "dust", .rejected),
            (
                -26,
                "mandatory-script-verify-flag-failed (Signature must be zero for failed CHECK(MULTI)SIG operation)",
                .rejected
            ),
            (-25, "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)", .rejected),
            (-22, "TX decode failed", .rejected),
            (-28, "Loading block index…", .unavailable),
        ]
        for (code, message, kind) in cases {
            guard case .refused(let refused, _) = outcome(code, message) else {
                Issue.record("\(message): \(outcome(code, message))")
                continue
            }
            #expect(refused == kind, "\(message)")
        }
        #expect(BroadcastOutcome(.unavailable("refused")) == .refused(.unavailable, "bitcoind unavailable: refused"))
    }

    @Test func missingInputsAreToldApartWithAnIndex() {
        #expect(outcome(-25, "bad-txns-inputs-missingorspent") == .missingInputs("bad-txns-inputs-missingorspent"))
        #expect(outcome(-26, "missing-inputs") == .missingInputs("missing-inputs"))
    }
}
