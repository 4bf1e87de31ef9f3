import BitcoinPrimitives
import ChannelManager
import PaychanBitcoinCore
import Testing

/// JSON-RPC 1.0 and 2.0 answers, batches with errors among results, and Core's 401.
enum DialectScenario {
    static let name = "dialects"

    static func run(_ node: RecordedNode) async throws {
        // 2.0: an error answered with HTTP 200.
        do {
            _ = try await node.rpc.call("getblockhash", [1_000])
            Issue.record("height 1000 exists on a fresh node")
        } catch {
            guard case .node(let code, let message) = error else { throw error }
            #expect(code == -8 && message.contains("out of range"), "\(message)")
        }
        // A batch: one result and one error, in the order sent.
        let outcomes = try await node.rpc.batch([
            RPCCall("getblockcount"), RPCCall("getblockhash", [1_000]), RPCCall("nosuchmethod"),
        ])
        #expect(try outcomes[0].get() == .integer(0))
        guard case .failure(.node(-8, _)) = outcomes[1] else { throw ReplayProblem("\(outcomes[1])") }
        guard case .failure(.node(-32601, _)) = outcomes[2] else { throw ReplayProblem("\(outcomes[2])") }

        // 1.0: the same error with HTTP 500, a missing method with HTTP 404.
        var configuration = node.rpc.configuration
        configuration.protocolVersion = .v1
        let legacy = try BitcoinCoreRPC(configuration: configuration)
        defer { Task { await legacy.shutdown() } }
        #expect(try await legacy.call("getblockcount") == .integer(0))
        do {
            _ = try await legacy.call("getblockhash", [1_000])
            Issue.record("height 1000 exists on a fresh node")
        } catch {
            guard case .node(-8, _) = error else { throw error }
        }
        do {
            _ = try await legacy.call("nosuchmethod")
            Issue.record("an unknown method answered")
        } catch {
            guard case .node(-32601, _) = error else { throw error }
        }

        // Wrong credentials: Core's 401, refused without retrying.
        configuration.protocolVersion = .v2
        configuration.credentials = .userPassword(user: "nobody", password: "wrong")
        let stranger = try BitcoinCoreRPC(configuration: configuration)
        defer { Task { await stranger.shutdown() } }
        do throws(RPCError) {
            _ = try await stranger.call("getblockcount")
            Issue.record("wrong credentials accepted")
        } catch {
            #expect(error.chainError.kind == .unavailable)
            #expect(error.description.contains("401"))
        }
        #expect(stranger.requestsSent == 1)
        let start = BitcoinCoreChain(rpc: stranger, configuration: .init(network: .regtest))
        do {
            _ = try await start.checkNode()
            Issue.record("wrong credentials accepted")
        } catch {
            guard case .unauthorized = error else { throw error }
        }
    }
}
