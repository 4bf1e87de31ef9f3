import ChannelManager
import Foundation
import PaychanBitcoinCore
import PaychanTestSupport
import Synchronization
import Testing

/// A node that misbehaves: the client gives typed errors (never a trap), retries what passes,
/// and gives up on what does not. The node here is a scripted loopback server; the answers it
/// sends when it behaves are Core's (see the recorded scenarios for real exchanges).
@Suite struct RPCFailureTests {
    /// A server answering the n-th request (from 0) with `script(n, request)`, and a client.
    private func withServer(
        credentials: RPCCredentials = .userPassword(user: "u", password: "p"), attempts: Int = 4,
        requestTimeout: Duration = .seconds(60),
        _ script: @escaping @Sendable (Int, ReceivedRequest) -> ScriptedReply,
        _ body: (BitcoinCoreRPC) async throws -> Void
    ) async throws {
        let count = Mutex(0)
        let server = try await LoopbackHTTPServer.start { request in
            let index = count.withLock { value in
                defer { value += 1 }
                return value
            }
            return script(index, request)
        }
        try await withClient(
            of: server, credentials: credentials, attempts: attempts, requestTimeout: requestTimeout, body)
    }

    /// A client of `server` (stopped with it after `body`).
    private func withClient(
        of server: LoopbackHTTPServer, credentials: RPCCredentials = .userPassword(user: "u", password: "p"),
        attempts: Int = 4, requestTimeout: Duration = .seconds(60), _ body: (BitcoinCoreRPC) async throws -> Void
    ) async throws {
        let rpc = try BitcoinCoreRPC(
            configuration: RPCConfiguration(
                url: server.url, credentials: credentials, requestTimeout: requestTimeout,
                retry: RetryPolicy(attempts: attempts, initialDelay: .milliseconds(5), maximumDelay: .milliseconds(20)))
        )
        do { try await body(rpc) } catch {
            await rpc.shutdown()
            await server.stop()
            throw error
        }
        await rpc.shutdown()
        await server.stop()
    }

    /// Core's answer to request `request` with `result` (JSON text), under JSON-RPC 2.0.
    private static func answer(_ request: ReceivedRequest, result: String) -> ScriptedReply {
        .respond(status: 200, body: Array(#"{"jsonrpc":"2.0","result":\#(result),"id":\#(id(request))}"#.utf8))
    }

    private static func id(_ request: ReceivedRequest) -> Int64 {
        (try? JSONValue.parse(request.body).member("id").integer()) ?? -1
    }

    private func expectUnavailable(_ rpc: BitcoinCoreRPC, containing text: String? = nil) async {
        do throws(RPCError) {
            let value = try await rpc.call("getblockcount")
            Issue.record("answered \(value)")
        } catch {
            guard case .unavailable(let reason) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(error.chainError.kind == .unavailable)
            if let text { #expect(reason.contains(text), "\(reason)") }
        }
    }

    @Test func connectionDroppedMidResponseIsRetried() async throws {
        try await withServer({ index, request in
            let full = Array(#"{"jsonrpc":"2.0","result":7,"id":\#(Self.id(request))}"#.utf8)
            return index == 0 ? .dropMidResponse(body: full, sentBytes: 10) : Self.answer(request, result: "7")
        }) { (rpc: BitcoinCoreRPC) async throws in
            #expect(try await rpc.call("getblockcount") == .integer(7))
            #expect(rpc.requestsSent == 2)
        }
    }

    @Test func connectionAlwaysDroppedIsUnavailable() async throws {
        try await withServer({ _, request in
            .dropMidResponse(body: Array(#"{"jsonrpc":"2.0","result":7,"id":1}"#.utf8), sentBytes: 5)
        }) { (rpc: BitcoinCoreRPC) async throws in
            await expectUnavailable(rpc, containing: "after 4 tries")
            #expect(rpc.requestsSent == 4)
        }
    }

    @Test func closedWithoutAnswerIsRetried() async throws {
        try await withServer({ index, request in index < 2 ? .close : Self.answer(request, result: "1") }) {
            (rpc: BitcoinCoreRPC) async throws in
            #expect(try await rpc.call("getblockcount") == .integer(1))
            #expect(rpc.requestsSent == 3)
        }
    }

    @Test func garbageIsUnavailableAndNotRetried() async throws {
        try await withServer({ _, _ in .respond(status: 200, body: Array("<html>busy</html>".utf8)) }) {
            (rpc: BitcoinCoreRPC) async throws in
            await expectUnavailable(rpc, containing: "not JSON")
            #expect(rpc.requestsSent == 1)
        }
    }

    @Test func malformedAnswersAreUnavailable() async throws {
        let bodies = [
            #"{"jsonrpc":"2.0","result":7,"id":999}"#,  // another request's id
            #"{"jsonrpc":"2.0","result":7}"#,  // no id
            #"{"jsonrpc":"2.0","id":1}"#,  // neither result nor error
            #"{"jsonrpc":"2.0","error":{"code":"x"},"id":1}"#,  // malformed error
            #"{"jsonrpc":"2.0","result":"#,  // truncated, with a matching Content-Length
            #"[1,2,3]"#, "null", "",
        ]
        for body in bodies {
            try await withServer({ _, _ in .respond(status: 200, body: Array(body.utf8)) }) {
                (rpc: BitcoinCoreRPC) async throws in
                await expectUnavailable(rpc)
            }
        }
        // A result of the wrong type is caught by the typed reading of it.
        try await withServer({ _, request in Self.answer(request, result: #""forty""#) }) {
            (rpc: BitcoinCoreRPC) async throws in
            let chain = BitcoinCoreChain(rpc: rpc, configuration: .init(network: .regtest))
            #expect(await chainError { _ = try await chain.lockTimeReference() }?.kind == .unavailable)
        }
    }

    @Test func unauthorizedWithFixedCredentialsIsNotRetried() async throws {
        try await withServer({ _, _ in .respond(status: 401, body: []) }) { (rpc: BitcoinCoreRPC) async throws in
            await expectUnavailable(rpc, containing: "401")
            #expect(rpc.requestsSent == 1)
        }
    }

    @Test func cookieIsReadAgainAfter401() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paychan-cookie-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let cookie = directory.appendingPathComponent(".cookie").path
        func header(_ password: String) -> String {
            "Basic " + Data("__cookie__:\(password)".utf8).base64EncodedString()
        }
        try "__cookie__:first\n".write(toFile: cookie, atomically: true, encoding: .utf8)
        let accepted = Mutex(header("first"))
        let seen = Mutex<[String?]>([])
        try await withServer(credentials: .cookieFile(cookie)) { _, request in
            seen.withLock { $0.append(request.authorization) }
            return request.authorization == accepted.withLock({ $0 })
                ? Self.answer(request, result: "3") : .respond(status: 401, body: [])
        } _: { (rpc: BitcoinCoreRPC) async throws in
            #expect(try await rpc.call("getblockcount") == .integer(3))
            // The node restarts with a new cookie: the cached one is refused, the file read again.
            try "__cookie__:second".write(toFile: cookie, atomically: true, encoding: .utf8)
            accepted.withLock { $0 = header("second") }
            #expect(try await rpc.call("getblockcount") == .integer(3))
            // A cookie that is not the node's even when read again: refused.
            accepted.withLock { $0 = header("third") }
            await expectUnavailable(rpc, containing: "401")
        }
        #expect(
            seen.withLock { $0 } == [
                header("first"), header("first"), header("second"), header("second"), header("second"),
            ])
    }

    @Test func missingCookieIsRetriedThenUnavailable() async throws {
        try await withServer(credentials: .cookieFile("/nonexistent/.cookie")) { _, request in
            Self.answer(request, result: "1")
        } _: { (rpc: BitcoinCoreRPC) async throws in
            await expectUnavailable(rpc, containing: "cookie")
            #expect(rpc.requestsSent == 0)
        }
    }

    @Test func busyAndWarmingUpAreRetried() async throws {
        try await withServer({ index, request in
            switch index {
            case 0: return .respond(status: 503, body: [])
            case 1:
                return .respond(
                    status: 200,
                    body: Array(
                        #"{"jsonrpc":"2.0","error":{"code":-28,"message":"Loading block index…"},"id":\#(Self.id(request))}"#
                            .utf8))
            default: return Self.answer(request, result: "5")
            }
        }) { (rpc: BitcoinCoreRPC) async throws in
            #expect(try await rpc.call("getblockcount") == .integer(5))
            #expect(rpc.requestsSent == 3)
        }
    }

    @Test func warmingUpForeverIsUnavailable() async throws {
        try await withServer({ _, request in
            .respond(
                status: 200,
                body: Array(
                    #"{"jsonrpc":"2.0","error":{"code":-28,"message":"Verifying blocks…"},"id":\#(Self.id(request))}"#
                        .utf8))
        }) { (rpc: BitcoinCoreRPC) async throws in
            await expectUnavailable(rpc, containing: "warming up")
            let chain = BitcoinCoreChain(rpc: rpc, configuration: .init(network: .regtest))
            #expect(
                await chainError { try await chain.broadcast(.init(version: 2, inputs: [], outputs: [], lockTime: 0)) }?
                    .kind == .unavailable)
        }
    }

    @Test func slowAnswerTimesOutWithoutRetry() async throws {
        let server = try await LoopbackHTTPServer.start(
            responder: .async { request in
                try? await Task.sleep(for: .seconds(2))
                return Self.answer(request, result: "1")
            })
        try await withClient(of: server, requestTimeout: .milliseconds(200)) { (rpc: BitcoinCoreRPC) async throws in
            await expectUnavailable(rpc)
            #expect(rpc.requestsSent == 1)
        }
    }

    @Test func refusedConnectionIsRetriedThenUnavailable() async throws {
        let port = try BitcoindProcess.freeLoopbackPort()
        let rpc = try BitcoinCoreRPC(
            configuration: RPCConfiguration(
                url: "http://127.0.0.1:\(port)", credentials: .userPassword(user: "u", password: "p"),
                connectTimeout: .milliseconds(300),
                retry: RetryPolicy(attempts: 3, initialDelay: .milliseconds(5), maximumDelay: .milliseconds(10))))
        await expectUnavailable(rpc, containing: "after 3 tries")
        #expect(rpc.requestsSent == 3)
        let chain = BitcoinCoreChain(rpc: rpc, configuration: .init(network: .regtest))
        let clock = ContinuousClock()
        let started = clock.now
        do {
            _ = try await chain.waitForNode(timeout: .seconds(1), logger: .init(label: "test"))
            Issue.record("a closed port answered")
        } catch {
            guard case .unreachable = error else { throw error }
        }
        // Bounded by its timeout (and one last try); loose for a loaded machine.
        #expect(clock.now - started < .seconds(30), "the wait is bounded by its timeout")
        await rpc.shutdown()
    }

    @Test func batchAnswersMustMatchTheBatch() async throws {
        let bodies = [
            #"[{"result":1,"id":1}]"#,  // one answer for two calls
            #"[{"result":1,"id":1},{"result":2,"id":1}]"#,  // an id twice
            #"[{"result":1,"id":1},{"result":2,"id":7}]"#,  // an id not sent
            #"{"result":1,"id":1}"#,  // not an array
        ]
        for body in bodies {
            try await withServer({ _, _ in .respond(status: 200, body: Array(body.utf8)) }) {
                (rpc: BitcoinCoreRPC) async throws in
                do throws(RPCError) {
                    _ = try await rpc.batch([RPCCall("getblockcount"), RPCCall("getbestblockhash")])
                    Issue.record("accepted \(body)")
                } catch {
                    guard case .unavailable = error else {
                        Issue.record("\(error)")
                        return
                    }
                }
            }
        }
        // Answers in another order than sent are matched by id.
        try await withServer({ _, _ in
            .respond(status: 200, body: Array(#"[{"result":"b","id":2},{"result":"a","id":1}]"#.utf8))
        }) {
            rpc in
            let outcomes = try await rpc.batch([RPCCall("first"), RPCCall("second")])
            #expect(try outcomes.map { try $0.get() } == ["a", "b"])
        }
    }

    /// Its owner's error path may drop a client without ``BitcoinCoreRPC/shutdown()``: its
    /// `HTTPClient` is then shut down by the client itself (a running one released traps in a
    /// debug build, ending this whole test process).
    @Test func droppedWithoutShutdownClosesItself() async throws {
        let port = try BitcoindProcess.freeLoopbackPort()
        for _ in 0..<3 {
            let rpc = try BitcoinCoreRPC(
                configuration: RPCConfiguration(
                    url: "http://127.0.0.1:\(port)", credentials: .userPassword(user: "u", password: "p"),
                    connectTimeout: .milliseconds(300),
                    retry: RetryPolicy(attempts: 1)))
            await expectUnavailable(rpc)
        }
        try await Task.sleep(for: .milliseconds(200))
    }

    /// A wallet client shares its parent's `HTTPClient`: dropping the parent (whose `deinit`
    /// shuts that client down) must not end the wallet client's calls.
    @Test func walletClientOutlivesItsDroppedParent() async throws {
        let server = try await LoopbackHTTPServer.start { request in Self.answer(request, result: "5") }
        var parent: BitcoinCoreRPC? = try BitcoinCoreRPC(
            configuration: RPCConfiguration(url: server.url, credentials: .userPassword(user: "u", password: "p")))
        let wallet = try parent!.wallet("w")
        parent = nil
        try await Task.sleep(for: .milliseconds(100))
        #expect(try await wallet.call("getbalance") == .integer(5))
        await server.stop()
    }

    @Test func badURLIsRefused() {
        for url in ["127.0.0.1:8332", "ftp://host:1", "http://", "not a url"] {
            #expect(throws: RPCError.self) {
                _ = try BitcoinCoreRPC(
                    configuration: RPCConfiguration(url: url, credentials: .userPassword(user: "u", password: "p")))
            }
        }
    }
}
