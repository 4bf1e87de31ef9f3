import PaychanBitcoinCore
import Synchronization

/// Answers requests with a recording's answers. Each request must be one recorded (ids
/// aside) and not answered yet: the earliest such is answered, with the request's ids put in
/// (requests that the managers make concurrently may come in another order than recorded).
final class ReplayResponder: Sendable {
    private let recording: Recording
    private let state = Mutex((used: Set<Int>(), problems: [String]()))

    init(_ recording: Recording) { self.recording = recording }

    /// What went wrong so far (requests not in the recording).
    var problems: [String] { state.withLock { $0.problems } }
    /// Recorded exchanges not replayed yet.
    var remaining: Int { state.withLock { recording.exchanges.count - $0.used.count } }

    func respond(_ request: ReceivedRequest) -> ScriptedReply {
        guard let sent = try? JSONValue.parse(request.body) else { return fail("a request is not JSON") }
        let wanted = Self.withoutIDs(sent)
        let found = state.withLock { state -> Int? in
            let index = recording.exchanges.indices.first {
                !state.used.contains($0) && Self.withoutIDs(recording.exchanges[$0].request) == wanted
            }
            if let index { state.used.insert(index) }
            return index
        }
        guard let index = found else {
            return fail(
                "the request \(String(decoding: sent.encoded(), as: UTF8.self)) is not in the recording (or was answered): record again with PAYCHAN_RECORD=1"
            )
        }
        let exchange = recording.exchanges[index]
        let body = Array(exchange.response.utf8)
        guard let answer = try? JSONValue.parse(body) else { return .respond(status: exchange.status, body: body) }
        let renumbered = Self.renumber(answer, recorded: exchange.request, sent: sent)
        return .respond(status: exchange.status, body: renumbered.encoded())
    }

    private func fail(_ problem: String) -> ScriptedReply {
        state.withLock { $0.problems.append(problem) }
        return .respond(status: 500, body: Array("replay: \(problem)".utf8))
    }

    private static func withoutIDs(_ request: JSONValue) -> JSONValue {
        switch request {
        case .object(var members):
            members["id"] = nil
            return .object(members)
        case .array(let elements):
            return .array(elements.map(withoutIDs))
        default:
            return request
        }
    }

    /// The recorded answer with each recorded request id replaced by the id sent in its place.
    private static func renumber(_ answer: JSONValue, recorded: JSONValue, sent: JSONValue) -> JSONValue {
        var map: [JSONValue: JSONValue] = [:]
        switch (recorded, sent) {
        case (.object(let old), .object(let new)):
            map[old["id"] ?? .null] = new["id"] ?? .null
        case (.array(let old), .array(let new)):
            for (oldRequest, newRequest) in zip(old, new) {
                if case .object(let o) = oldRequest, case .object(let n) = newRequest {
                    map[o["id"] ?? .null] = n["id"] ?? .null
                }
            }
        default:
            break
        }
        func replace(_ value: JSONValue) -> JSONValue {
            guard case .object(var members) = value, let id = members["id"], let newID = map[id] else { return value }
            members["id"] = newID
            return .object(members)
        }
        if case .array(let elements) = answer { return .array(elements.map(replace)) }
        return replace(answer)
    }
}
