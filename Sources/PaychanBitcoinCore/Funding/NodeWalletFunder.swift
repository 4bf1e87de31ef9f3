import BitcoinPrimitives
import ChannelManager
import Foundation

/// A ``ChannelManager/ContractFunder`` that funds contracts from a Bitcoin Core node's own
/// wallet (`paychan client --funding node-wallet[=NAME]`).
///
/// The node builds the contract: `walletcreatefundedpsbt` pays the contract's address (or,
/// for a contract script with no address such as v1's bare multisig, `fundrawtransaction`
/// funds a transaction we build and `converttopsbt` makes it a PSBT), with the contract as
/// output 0, the change after it (P2WPKH, so that it can fund the next contract: Core would
/// otherwise match a P2SH contract with P2SH-wrapped change), the chosen inputs locked (`lockUnspents`) and no opt-in
/// replacement; `walletprocesspsbt` signs and finalizes it. Paychan then parses the signed
/// PSBT itself (asking for PSBT version 0, BIP174) and refuses it (``NodeWalletFundingCheck``) unless output 0 is exactly the
/// contract, every input spends a native segwit output (so the contract's txid cannot be
/// malleated) and is finalized with a witness, and every segwit v0 input's signature verifies.
/// A refused or abandoned contract's inputs are unlocked (`lockunspent true`).
///
/// Core keeps these locks in memory: a node restart releases them, and a contract the
/// client stored stays spendable by the node's wallet until the client broadcasts it.
public final class NodeWalletFunder: ContractFunder {
    /// The client of the node's wallet (its configuration names the wallet: `/wallet/NAME`).
    public let rpc: BitcoinCoreRPC
    /// The network addresses are made for.
    public let network: Network
    private let chain: any ChainBackend
    private let feeTarget: Int

    /// A funder on `rpc`'s wallet, paying the fee rate `chain` estimates for `feeTarget` blocks.
    public init(rpc: BitcoinCoreRPC, network: Network, chain: any ChainBackend, feeTarget: Int = 6) {
        self.rpc = rpc
        self.network = network
        self.chain = chain
        self.feeTarget = feeTarget
    }

    public func fundContract(paying output: TransactionOutput) async throws(FundingError) -> Transaction {
        guard output.value > .zero, !output.isDust() else {
            throw FundingError(.refused, "the contract output of \(output.value) is dust or zero")
        }
        let feeRate: FeeRate
        do { feeRate = try await chain.feeRate(targetBlocks: feeTarget) } catch {
            throw FundingError(.unavailable, "no fee estimate: \(error)")
        }
        let unsigned = try await fundedPSBT(paying: output, feeRate: feeRate)
        let signed: String
        do {
            let answer = try await rpc.call("walletprocesspsbt", [.string(unsigned), true, "ALL", true, true])
            signed = try answer.member("psbt").string()
        } catch {
            await unlockInputs(ofPSBT: unsigned)
            throw Self.fundingError(error, doing: "signing the contract", needed: output.value)
        }
        do {
            return try NodeWalletFundingCheck(contract: output, feeRate: feeRate).check(base64: signed)
        } catch {
            await unlockInputs(ofPSBT: signed)
            throw error
        }
    }

    public func contractAbandoned(_ contract: Transaction) async {
        await unlock(contract.inputs.map(\.previousOutput))
    }

    /// An unsigned funded PSBT (base64) whose output 0 should be `output`.
    private func fundedPSBT(paying output: TransactionOutput, feeRate: FeeRate) async throws(FundingError) -> String {
        let options: JSONValue = [
            "changePosition": 1, "change_type": "bech32", "lockUnspents": true, "replaceable": false,
            "fee_rate": .string(Self.decimal(feeRate.satoshisPerKilovirtualByte, places: 3)),
        ]
        do {
            if let address = try? Address(scriptPubKey: output.scriptPubKey, network: network) {
                let outputs: JSONValue = [[address.string: .string(Self.decimal(output.value.satoshis, places: 8))]]
                let answer = try await callAskingVersionZero(
                    "walletcreatefundedpsbt", [[], outputs, 0, options], extra: [true, 2])
                return try answer.member("psbt").string()
            }
            let bare = Transaction(version: 2, inputs: [], outputs: [output])
            let funded = try await rpc.call("fundrawtransaction", [.string(bare.serialized.hex), options])
            let hex = try funded.member("hex").string()
            return try await callAskingVersionZero("converttopsbt", [.string(hex), false, false], extra: []).string()
        } catch {
            throw Self.fundingError(error, doing: "funding the contract", needed: output.value)
        }
    }

    /// Calls `method` asking for a version 0 PSBT (`params`, `extra`, then `psbt_version` 0:
    /// Core 31 answers version 2 by default). A node older than the `psbt_version` parameter
    /// answers "too many parameters" (-1): it is asked again with `params` alone, and answers
    /// version 0, the only one it makes.
    private func callAskingVersionZero(_ method: String, _ params: [JSONValue], extra: [JSONValue])
        async throws(RPCError) -> JSONValue
    {
        do {
            return try await rpc.call(method, params + extra + [0])
        } catch .node(let code, _) where code == -1 {
            return try await rpc.call(method, params)
        }
    }

    private func unlockInputs(ofPSBT base64: String) async {
        guard let bytes = Data(base64Encoded: base64), let psbt = try? PSBT(bytes: [UInt8](bytes)) else { return }
        await unlock(psbt.unsignedTransaction.inputs.map(\.previousOutput))
    }

    /// `lockunspent true` for `outpoints`; failures are ignored (the node forgets locks on a
    /// restart anyway).
    private func unlock(_ outpoints: [OutPoint]) async {
        guard !outpoints.isEmpty else { return }
        let list = JSONValue.array(
            outpoints.map { ["txid": .string($0.txid.displayHex), "vout": .integer(Int64($0.index))] })
        _ = try? await rpc.call("lockunspent", [true, list])
    }

    /// `value / 10^places` as a decimal string (Core reads amounts and fee rates as strings
    /// exactly).
    static func decimal(_ value: Int64, places: Int) -> String {
        var scale: Int64 = 1
        for _ in 0..<places { scale *= 10 }
        let fraction = String(value % scale)
        return "\(value / scale).\(String(repeating: "0", count: places - fraction.count))\(fraction)"
    }

    /// Core's -6 (insufficient funds) is ``FundingError/Kind/insufficientFunds(available:needed:)``
    /// (what is available is not known: `.zero`);
    /// other node errors refuse, and an unreachable node is unavailable.
    static func fundingError(_ error: RPCError, doing what: String, needed: Amount) -> FundingError {
        switch error {
        case .node(let code, let message) where code == -6 || code == -4 && message.contains("nsufficient"):
            return FundingError(
                .insufficientFunds(available: .zero, needed: needed),
                "the node's wallet has too little for \(needed) and the fee: \(message) (\(what))")
        case .node(let code, let message):
            return FundingError(.refused, "the node's wallet refused \(what): error \(code): \(message)")
        case .unavailable(let message):
            return FundingError(.unavailable, "the node's wallet is unavailable (\(what)): \(message)")
        }
    }
}
