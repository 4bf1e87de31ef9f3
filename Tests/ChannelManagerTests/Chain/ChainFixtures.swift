import BitcoinPrimitives
import ChannelManager
import Testing

/// Keys, amounts and hand-signed P2WPKH spends for the chain and wallet tests.
enum ChainFixtures {
    /// The clock's start (2023-11-14).
    static let start: UInt64 = 1_700_000_000

    static func key(_ label: String) throws -> PrivateKey {
        try PrivateKey(secretBytes: Hashing.sha256(Array(label.utf8)))
    }

    static func sat(_ satoshis: Int64) throws -> Amount { try Amount(satoshis: satoshis) }

    static func seed(_ label: String) -> [UInt8] { Hashing.sha256(Array(label.utf8)) }
}

/// An output and where it is.
struct TestCoin {
    let outpoint: OutPoint
    let output: TransactionOutput

    init(outpoint: OutPoint, output: TransactionOutput) {
        self.outpoint = outpoint
        self.output = output
    }

    init(_ transaction: Transaction, _ index: Int = 0) {
        outpoint = OutPoint(txid: transaction.txid, index: UInt32(index))
        output = transaction.outputs[index]
    }
}

/// One key owning P2WPKH coins, able to spend them.
struct TestSpender {
    let key: PrivateKey

    init(_ label: String) throws { key = try ChainFixtures.key(label) }

    var script: Script { .p2wpkh(publicKey: key.publicKey) }

    func output(_ satoshis: Int64) throws -> TransactionOutput {
        TransactionOutput(value: try ChainFixtures.sat(satoshis), scriptPubKey: script)
    }

    /// A coin of `satoshis` from a new coinbase.
    func fund(_ chain: MemoryChain, _ satoshis: Int64) throws -> TestCoin {
        TestCoin(chain.fund(script: script, amount: try ChainFixtures.sat(satoshis)))
    }

    /// Spends `coins` (all this key's) to `outputs`, signing every input (with `forger`'s key
    /// instead, when given: a signature that cannot verify).
    func spend(
        _ coins: [TestCoin], to outputs: [TransactionOutput], lockTime: UInt32 = 0,
        sequence: UInt32 = TransactionInput.finalSequence, forger: PrivateKey? = nil
    ) throws -> Transaction {
        var transaction = Transaction(
            version: 2, inputs: coins.map { TransactionInput(previousOutput: $0.outpoint, sequence: sequence) },
            outputs: outputs, lockTime: lockTime)
        let unsigned = transaction
        for (index, coin) in coins.enumerated() {
            let signer = forger ?? key
            let signature = try unsigned.signSegwitV0Input(
                index, scriptCode: .p2pkh(publicKey: key.publicKey), amount: coin.output.value, key: signer)
            transaction.inputs[index].witness = [signature.encoded, key.publicKey.bytes]
        }
        return transaction
    }

    /// Spends one coin to this key, leaving `fee`.
    func spend(_ coin: TestCoin, fee: Int64, lockTime: UInt32 = 0, sequence: UInt32 = TransactionInput.finalSequence)
        throws -> Transaction
    {
        try spend([coin], to: [try output(coin.output.value.satoshis - fee)], lockTime: lockTime, sequence: sequence)
    }
}

/// Expects `body` to throw a ``ChainError`` of `kind`.
func expectChainError(
    _ kind: ChainError.Kind, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async {
    do {
        try await body()
        Issue.record("expected a \(kind) chain error, but it succeeded", sourceLocation: sourceLocation)
    } catch let error as ChainError {
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected a \(kind) chain error, got \(error)", sourceLocation: sourceLocation)
    }
}
