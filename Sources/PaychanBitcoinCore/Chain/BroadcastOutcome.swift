import ChannelManager

/// What `sendrawtransaction`'s answer means for a broadcast.
///
/// | Core's answer | outcome |
/// |---|---|
/// | -27 (outputs already in the UTXO set, "already in block chain"), `txn-already-in-mempool`, `txn-already-known`, `txn-same-nonwitness-data-in-mempool` | accepted |
/// | `non-final`, `non-BIP68-final` | `.notFinal` |
/// | `txn-mempool-conflict`, `too many potential replacements`, `replacement-adds-unconfirmed`, `bip125-replacement-disallowed`, `bad-txns-spends-conflicting-tx` | `.doubleSpend` |
/// | `bad-txns-inputs-missingorspent` (`missing-inputs`) | `.doubleSpend` when the block index shows an input spent in a block, otherwise `.rejected` (see below) |
/// | `min relay fee not met`, `mempool min fee not met`, `insufficient fee…` (a replacement paying too little), `insufficient feerate…`, `mempool full` | `.feeTooLow` |
/// | -28 (warming up), anything that is not an answer | `.unavailable` |
/// | any other error (bad signatures, dust, non-standard, the fee above `maxfeerate`) | `.rejected` |
///
/// Core says `missingorspent` both when an input was never seen and when a block already
/// spends it: it keeps no spent outputs. Without a block index that knows the spender, the
/// two cannot be told apart, so the answer is `.rejected` ("missing or spent") rather than a
/// double spend nobody can show.
enum BroadcastOutcome: Equatable {
    /// The node has the transaction (now or already).
    case accepted
    /// A refusal of this kind.
    case refused(ChainError.Kind, String)
    /// Inputs missing or spent: to be told apart with a block index.
    case missingInputs(String)

    /// Core's code for "the outputs of this transaction are already in the UTXO set".
    static let alreadyInChain: Int64 = -27

    /// The meaning of `sendrawtransaction` failing with `error`.
    init(_ error: RPCError) {
        switch error {
        case .unavailable:
            self = .refused(.unavailable, error.description)
        case .node(let code, _) where code == RPCError.warmingUp:
            self = .refused(.unavailable, error.description)
        case .node(let code, _) where code == Self.alreadyInChain:
            self = .accepted
        case .node(_, let message):
            self = Self.meaning(of: message)
        }
    }

    private static let alreadyKnown = [
        "txn-already-in-mempool", "txn-already-known", "txn-same-nonwitness-data-in-mempool",
        "already in block chain",
    ]
    private static let notFinal = ["non-final", "non-BIP68-final"]
    private static let conflicts = [
        "txn-mempool-conflict", "too many potential replacements", "replacement-adds-unconfirmed",
        "bip125-replacement-disallowed", "bad-txns-spends-conflicting-tx",
    ]
    private static let missing = ["bad-txns-inputs-missingorspent", "missing-inputs", "Inputs missing or spent"]
    private static let feeTooLow = [
        "min relay fee not met", "mempool min fee not met", "insufficient fee", "mempool full",
    ]

    private static func meaning(of message: String) -> BroadcastOutcome {
        func matches(_ reasons: [String]) -> Bool {
            reasons.contains { message.hasPrefix($0) || message.contains($0) }
        }
        if matches(alreadyKnown) { return .accepted }
        if notFinal.contains(where: { message.hasPrefix($0) }) { return .refused(.notFinal, message) }
        if matches(conflicts) { return .refused(.doubleSpend, message) }
        if matches(missing) { return .missingInputs(message) }
        if matches(feeTooLow) { return .refused(.feeTooLow, message) }
        return .refused(.rejected, message)
    }
}
