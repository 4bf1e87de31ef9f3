import BitcoinPrimitives
import ChannelManager
import Foundation
import PaychanBitcoinCore
import PaychanTestSupport
import Testing

/// Runs a scenario against recorded Bitcoin Core exchanges (CI, no node), or, with
/// `PAYCHAN_RECORD=1` and `PAYCHAN_BITCOIND` naming a `bitcoind`, against a fresh regtest node
/// through a recording proxy, writing the recording into `Recordings/`.
///
/// The scenario's code runs the same in both modes, so it must derive everything it sends from
/// what the node answered (txids, heights, times) and use fixed keys: replaying sends the very
/// requests recorded, and any difference fails the test with the request that differs.
struct RecordedNode {
    /// The client, talking to the replay server or to the recording proxy.
    let rpc: BitcoinCoreRPC
    /// The URL the client talks to.
    let url: String

    /// True when recording against a real node.
    static var isRecording: Bool {
        ProcessInfo.processInfo.environment["PAYCHAN_RECORD"] == "1" && BitcoindProcess.binaryFromEnvironment != nil
    }

    /// A backend for `network` on this scenario's client.
    func chain(
        network: Network = .regtest, fallback: FeeRate = FeeRate.defaultMinimumRelayFee,
        history: (any ConfirmedHistory)? = nil
    ) -> BitcoinCoreChain {
        BitcoinCoreChain(
            rpc: rpc, configuration: .init(network: network, fallbackFeeRate: fallback), history: history)
    }

    /// Replays scenario `name`'s recording through `body`.
    static func replay(_ name: String, _ body: (RecordedNode) async throws -> Void) async throws {
        let responder = ReplayResponder(try Recording.load(name))
        let server = try await LoopbackHTTPServer.start { request in responder.respond(request) }
        let rpc = try BitcoinCoreRPC(
            configuration: RPCConfiguration(
                url: server.url, credentials: .userPassword(user: "replay", password: "replay"),
                retry: RetryPolicy(attempts: 5, initialDelay: .milliseconds(1), maximumDelay: .milliseconds(4))))
        do {
            try await body(RecordedNode(rpc: rpc, url: server.url))
        } catch {
            Issue.record("replay problems: \(responder.problems)")
            await rpc.shutdown()
            await server.stop()
            throw error
        }
        await rpc.shutdown()
        await server.stop()
        #expect(responder.problems.isEmpty, "\(responder.problems)")
        #expect(responder.remaining == 0, "\(responder.remaining) recorded exchanges were not replayed")
    }

    /// Runs `body` against a fresh regtest node through a recording proxy, writing the
    /// recording when `record` is true.
    static func live(
        _ name: String, binary: String, record: Bool, _ body: (RecordedNode) async throws -> Void
    ) async throws {
        let node = try await BitcoindProcess.start(binary: binary)
        let recorder = RecordingResponder(url: node.rpcURL)
        let server = try await LoopbackHTTPServer.start(
            responder: .async { request in await recorder.respond(request) })
        let rpc = try BitcoinCoreRPC(
            configuration: RPCConfiguration(url: server.url, credentials: .cookieFile(node.cookiePath)))
        let direct = try BitcoinCoreRPC(
            configuration: RPCConfiguration(url: node.rpcURL, credentials: .cookieFile(node.cookiePath)))
        do {
            try await body(RecordedNode(rpc: rpc, url: server.url))
            let version = try await direct.call("getnetworkinfo").member("subversion").string()
            #expect(version.hasPrefix("/Satoshi:"))
            if record { try Recording(node: version, scenario: name, exchanges: recorder.recorded).write() }
        } catch {
            await cleanUp()
            throw error
        }
        await cleanUp()

        func cleanUp() async {
            await rpc.shutdown()
            await direct.shutdown()
            await server.stop()
            await recorder.shutdown()
            await node.stop()
        }
    }
}
