import BitcoinPrimitives
import ChannelManager
import PaychanBitcoinCore

/// Coins on a regtest node for the scenarios: blocks mined to a fixed key's P2WPKH address,
/// and transactions spending them, built and signed with BitcoinPrimitives.
struct RegtestCoins {
    /// A spendable output and where it is.
    struct Coin {
        var outpoint: OutPoint
        var output: TransactionOutput
    }

    let rpc: BitcoinCoreRPC
    /// The fixed key (so that replays send the very transactions recorded).
    let key: PrivateKey

    init(rpc: BitcoinCoreRPC, seedByte: UInt8 = 7) throws {
        self.rpc = rpc
        key = try PrivateKey(secretBytes: [UInt8](repeating: seedByte, count: 32))
    }

    /// The key's P2WPKH address on regtest.
    var address: Address { Address.p2wpkh(publicKey: key.publicKey, network: .regtest) }
    var script: Script { address.scriptPubKey }

    /// Mines `blocks` blocks paying the key (`generatetoaddress`); their hashes.
    @discardableResult
    func mine(_ blocks: Int64) async throws -> [Hash256] {
        try await mine(blocks, to: address.string)
    }

    /// Mines `blocks` blocks paying `address`.
    @discardableResult
    func mine(_ blocks: Int64, to address: String) async throws -> [Hash256] {
        let hashes = try await rpc.call("generatetoaddress", [.integer(blocks), .string(address)]).array()
        return try hashes.map { value in
            guard let hash = Hash256(displayHex: try value.string()) else {
                throw ReplayProblem("not a hash: \(value)")
            }
            return hash
        }
    }

    /// The coinbase output 0 of the block at `height` (`getblockhash`, `getblock`, `gettxout`).
    func coinbase(atHeight height: Int64) async throws -> Coin {
        let hash = try await rpc.call("getblockhash", [.integer(height)]).string()
        let block = try await rpc.call("getblock", [.string(hash), 1])
        let txids = try block.member("tx").array()
        guard let first = txids.first, let txid = Hash256(displayHex: try first.string()) else {
            throw ReplayProblem("block \(height) has no coinbase")
        }
        return try await unspent(OutPoint(txid: txid, index: 0))
    }

    /// The unspent output at `outpoint` (`gettxout`, mempool included).
    func unspent(_ outpoint: OutPoint) async throws -> Coin {
        let output = try await rpc.call(
            "gettxout", [.string(outpoint.txid.displayHex), .integer(Int64(outpoint.index)), true])
        let satoshis = Int64((try output.member("value").double() * 100_000_000).rounded())
        guard let scriptBytes = [UInt8](hex: try output.member("scriptPubKey").member("hex").string()) else {
            throw ReplayProblem("bad script in \(output)")
        }
        return Coin(
            outpoint: outpoint,
            output: TransactionOutput(value: try Amount(satoshis: satoshis), scriptPubKey: Script(bytes: scriptBytes)))
    }

    /// A transaction spending `coin` (ours) to `to` (the key by default), paying `fee`.
    func spend(
        _ coin: Coin, fee: Int64, to: Script? = nil, lockTime: UInt32 = 0,
        sequence: UInt32 = 0xffff_fffd, version: Int32 = 2, outputValue: Int64? = nil
    ) throws -> Transaction {
        let value = try Amount(satoshis: outputValue ?? (coin.output.value.satoshis - fee))
        var transaction = Transaction(
            version: version, inputs: [TransactionInput(previousOutput: coin.outpoint, sequence: sequence)],
            outputs: [TransactionOutput(value: value, scriptPubKey: to ?? script)], lockTime: lockTime)
        let signature = try transaction.signSegwitV0Input(0, spentOutput: coin.output, key: key)
        transaction.inputs[0].witness = [signature.encoded, key.publicKey.bytes]
        return transaction
    }
}
