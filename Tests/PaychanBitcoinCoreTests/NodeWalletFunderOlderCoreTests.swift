import BitcoinPrimitives
import ChannelManager
import Foundation
import PaychanBitcoinCore
import Synchronization
import Testing

/// A node older than `walletcreatefundedpsbt`'s `psbt_version` parameter (Core before 31)
/// answers the 7-parameter call with "too many parameters" (-1): the funder asks again with the
/// 4 classic parameters. The node is a scripted loopback server answering with the real
/// (version 0) PSBTs of the recorded `node-wallet-funding` scenario.
@Suite struct NodeWalletFunderOlderCoreTests {
    /// The recorded answers to the first `walletcreatefundedpsbt` and `walletprocesspsbt`.
    private func recordedAnswers() throws -> (funded: String, signed: String) {
        var funded: String?
        for exchange in try Recording.load(NodeWalletFundingScenario.name).exchanges {
            guard case .object = exchange.request else { continue }
            let method = try exchange.request.member("method").string()
            let result = try JSONValue.parse(Array(exchange.response.utf8)).member("result")
            if method == "walletcreatefundedpsbt", funded == nil {
                funded = String(decoding: result.encoded(), as: UTF8.self)
            }
            if method == "walletprocesspsbt", let funded {
                return (funded, String(decoding: result.encoded(), as: UTF8.self))
            }
        }
        throw ReplayProblem("no walletprocesspsbt in the recording")
    }

    @Test func anOlderNodeIsAskedAgainWithoutPSBTVersion() async throws {
        let (funded, signed) = try recordedAnswers()
        let calls = Mutex<[(String, Int)]>([])
        let server = try await LoopbackHTTPServer.start { request in
            let body = (try? JSONValue.parse(request.body)) ?? .null
            let method = (try? body.member("method").string()) ?? "?"
            let params = (try? body.member("params").array().count) ?? -1
            let id = (try? body.member("id").integer()) ?? -1
            calls.withLock { $0.append((method, params)) }
            let reply: String
            switch (method, params) {
            case ("walletcreatefundedpsbt", 7):
                reply =
                    #"{"jsonrpc":"2.0","error":{"code":-1,"message":"walletcreatefundedpsbt [...] (too many parameters)"},"id":\#(id)}"#
            case ("walletcreatefundedpsbt", 4): reply = #"{"jsonrpc":"2.0","result":\#(funded),"id":\#(id)}"#
            case ("walletprocesspsbt", _): reply = #"{"jsonrpc":"2.0","result":\#(signed),"id":\#(id)}"#
            default: reply = #"{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":\#(id)}"#
            }
            return .respond(status: 200, body: Array(reply.utf8))
        }
        let rpc = try BitcoinCoreRPC(
            configuration: RPCConfiguration(
                url: server.url, credentials: .userPassword(user: "u", password: "p"), wallet: "older"))
        let funder = NodeWalletFunder(
            rpc: rpc, network: .regtest, chain: MemoryChain(clock: ManualClock(now: 1_750_000_000)))
        let contract = try NodeWalletFundingScenario.contracts().v2
        let result: Result<Transaction, FundingError>
        do { result = .success(try await funder.fundContract(paying: contract)) } catch { result = .failure(error) }
        await rpc.shutdown()
        await server.stop()
        let transaction = try result.get()
        #expect(transaction.outputs[0] == contract)
        #expect(
            calls.withLock { $0.map(\.0) } == ["walletcreatefundedpsbt", "walletcreatefundedpsbt", "walletprocesspsbt"])
        #expect(calls.withLock { $0.map(\.1) } == [7, 4, 5])
    }
}
