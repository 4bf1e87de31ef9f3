import BitcoinPrimitives
import ChannelManager
import PaychanBitcoinCore
import Testing

/// The node's own wallet funds contracts (`NodeWalletFunder`): a v2 contract (P2SH, paid by
/// address with `walletcreatefundedpsbt`) and a v1 contract (bare 2-of-2 multisig, funded with
/// `fundrawtransaction` and `converttopsbt`), both signed by `walletprocesspsbt`, checked,
/// accepted by the node's mempool and mined; a third one abandoned, its inputs unlocked.
enum NodeWalletFundingScenario {
    static let name = "node-wallet-funding"
    static let walletName = "paychan funder"

    /// The contract outputs the scenario funds (fixed keys).
    static func contracts() throws -> (v2: TransactionOutput, v1: TransactionOutput, abandoned: TransactionOutput) {
        let client = try PrivateKey(secretBytes: [UInt8](repeating: 21, count: 32)).publicKey
        let server = try PrivateKey(secretBytes: [UInt8](repeating: 22, count: 32)).publicKey
        let multisig = Script.channelV1(client: client, server: server)
        return (
            TransactionOutput(value: try Amount(satoshis: 100_000_000), scriptPubKey: .p2sh(redeemScript: multisig)),
            TransactionOutput(value: try Amount(satoshis: 50_000_000), scriptPubKey: multisig),
            TransactionOutput(value: try Amount(satoshis: 25_000_000), scriptPubKey: .p2sh(redeemScript: multisig))
        )
    }

    static func run(_ node: RecordedNode) async throws {
        let chain = node.chain()
        // Two wallets loaded: calls must name theirs (`/wallet/NAME`).
        _ = try await node.rpc.call("createwallet", ["other"])
        _ = try await node.rpc.call("createwallet", [.string(walletName)])
        let wallet = try node.rpc.wallet(walletName)
        let address = try await wallet.call("getnewaddress", ["", "bech32"]).string()
        let coins = try RegtestCoins(rpc: node.rpc)
        try await coins.mine(101, to: address)
        let funder = NodeWalletFunder(rpc: wallet, network: .regtest, chain: chain)
        let contracts = try contracts()

        let v2 = try await funder.fundContract(paying: contracts.v2)
        #expect(v2.outputs[0] == contracts.v2)
        #expect(v2.inputs.allSatisfy { $0.scriptSig.isEmpty && $0.witness.count == 2 })
        try await chain.broadcast(v2)
        let v1 = try await funder.fundContract(paying: contracts.v1)
        #expect(v1.outputs[0] == contracts.v1)
        try await chain.broadcast(v1)
        let mined = try await coins.mine(1)
        let block = try await node.rpc.call("getblock", [.string(mined[0].displayHex), 1]).member("tx").array()
        let minedTxids = Set(try block.map { try $0.string() })
        #expect(minedTxids.isSuperset(of: [v2.txid.displayHex, v1.txid.displayHex]))

        let abandoned = try await funder.fundContract(paying: contracts.abandoned)
        #expect(try await wallet.call("listlockunspent").array().count == abandoned.inputs.count)
        await funder.contractAbandoned(abandoned)
        #expect(try await wallet.call("listlockunspent").array().isEmpty)

        // More than the wallet holds: Core's "Insufficient funds" is a typed funding error.
        let tooMuch = TransactionOutput(
            value: try Amount(satoshis: 20_000_000_000_000), scriptPubKey: contracts.v2.scriptPubKey)
        do {
            _ = try await funder.fundContract(paying: tooMuch)
            Issue.record("funded more than the wallet holds")
        } catch {
            guard case .insufficientFunds = error.kind else {
                Issue.record("not insufficient funds: \(error)")
                return
            }
        }
    }
}
