import PaychanBitcoinCore
import Testing

/// The replay is strict: a request the recording does not have, or one already answered, is
/// a problem (and the scenario's test fails), never a made-up answer.
@Suite struct ReplayResponderTests {
    private func request(_ method: String, id: Int64) -> ReceivedRequest {
        let body = JSONValue.object(["jsonrpc": "2.0", "method": .string(method), "params": [], "id": .integer(id)])
        return ReceivedRequest(uri: "/", authorization: nil, body: body.encoded())
    }

    private func status(_ reply: ScriptedReply) -> Int? {
        guard case .respond(let status, _) = reply else { return nil }
        return status
    }

    @Test func answersOnlyWhatWasRecordedOnce() throws {
        let recording = try Recording.load(DialectScenario.name)
        let responder = ReplayResponder(recording)
        // The recording has one JSON-RPC 2.0 getblockcount, which Core answered 401.
        #expect(status(responder.respond(request("getblockcount", id: 9))) == 401)
        #expect(responder.problems.isEmpty)
        #expect(status(responder.respond(request("getblockcount", id: 10))) == 500)
        #expect(responder.problems.count == 1)
        #expect(status(responder.respond(request("getbestblockhash", id: 11))) == 500)
        #expect(responder.problems.count == 2)
        #expect(responder.remaining == recording.exchanges.count - 1)
    }
}
