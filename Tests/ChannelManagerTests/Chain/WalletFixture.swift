import BitcoinPrimitives
import ChannelManager
import Testing

/// A SeedWallet over an in-memory store, funded on a MemoryChain.
struct WalletFixture {
    let clock = ManualClock(now: ChainFixtures.start)
    let chain: MemoryChain
    let store: InMemoryChannelStore
    let keychain: ChannelKeychain
    let wallet: SeedWallet

    init(
        seed: String = "wallet seed", configuration: WalletConfiguration = WalletConfiguration(),
        chainConfiguration: MemoryChain.Configuration = MemoryChain.Configuration()
    ) async throws {
        chain = MemoryChain(clock: clock, configuration: chainConfiguration)
        store = InMemoryChannelStore(clock: clock)
        keychain = try ChannelKeychain(seed: ChainFixtures.seed(seed))
        wallet = try await SeedWallet(keychain: keychain, store: store, chain: chain, configuration: configuration)
    }

    /// A second wallet over the same store and seed, as after a restart.
    func reopened(configuration: WalletConfiguration = WalletConfiguration()) async throws -> SeedWallet {
        try await SeedWallet(keychain: keychain, store: store, chain: chain, configuration: configuration)
    }

    /// Hands `wallet` (the fixture's by default) the chain's blocks from `height` to the tip,
    /// with their transactions, as a chain follower would.
    func deliverBlocks(from height: Int, to wallet: SeedWallet? = nil) async throws {
        for block in chain.blocks where block.height >= height {
            let transactions = try block.txids.map { try #require(chain.transaction($0)) }
            try await (wallet ?? self.wallet).blockConnected(transactions: transactions, height: block.height)
        }
    }

    /// The P2WPKH script of the wallet key `family`/`index`.
    func script(_ family: KeyFamily, _ index: UInt32) throws -> Script {
        .p2wpkh(publicKey: try keychain.key(family, index: index).publicKey)
    }

    /// Funds the wallet with one coin per amount.
    @discardableResult
    func fund(_ amounts: Int64...) async throws -> [Transaction] {
        var fundings: [Transaction] = []
        for satoshis in amounts {
            fundings.append(try await chain.fund(wallet, amount: try ChainFixtures.sat(satoshis)))
        }
        return fundings
    }

    /// The outputs `transaction` spends, from the chain.
    func spentOutputs(_ transaction: Transaction) throws -> [TransactionOutput] {
        try transaction.inputs.map { input in try #require(chain.utxo(input.previousOutput)?.output) }
    }

    /// A contract output paying `satoshis` to P2WSH of a 1-of-1 multisig of a fresh key.
    static func p2wshOutput(_ satoshis: Int64) throws -> TransactionOutput {
        let witnessScript = try Script.multisig(required: 1, keys: [try ChainFixtures.key("p2wsh").publicKey])
        return TransactionOutput(
            value: try ChainFixtures.sat(satoshis), scriptPubKey: .p2wsh(witnessScript: witnessScript))
    }
}

/// The kind of the ``FundingError`` `body` throws; records an issue when it throws nothing
/// or something else.
func fundingErrorKind(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async -> FundingError.Kind? {
    do {
        try await body()
        Issue.record("expected a funding error, but it succeeded", sourceLocation: sourceLocation)
    } catch let error as FundingError {
        return error.kind
    } catch {
        Issue.record("expected a funding error, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

extension FundingError.Kind {
    /// The amounts of an insufficient-funds error.
    var insufficient: (available: Amount, needed: Amount)? {
        guard case .insufficientFunds(let available, let needed) = self else { return nil }
        return (available, needed)
    }
}
