import PaychanBitcoinCore
import Synchronization

/// Answers requests with a recording's answers, in order. Each request must be the recorded
/// one (ids aside); the recorded answer is sent back with the request's ids put in.
final class ReplayResponder: Sendable {
    private let recording: Recording
    private let state = Mutex((next: 0, problems: [String]()))

    init(_ recording: Recording) { self.recording = recording }

    /// What went wrong so far (requests not in the recording).
    var problems: [String] { state.withLock { $0.problems } }
    /// Recorded exchanges not replayed yet.
    var remaining: Int { state.withLock { recording.exchanges.count - $0.next } }

    func respond(_ request: ReceivedRequest) -> ScriptedReply {
        let index = state.withLock { state in
            defer { state.next += 1 }
            return state.next
        }
        guard index < recording.exchanges.count else {
            return fail("request \(index) beyond the \(recording.exchanges.count) recorded")
        }
        let exchange = recording.exchanges[index]
        guard let sent = try? JSONValue.parse(request.body) else { return fail("request \(index) is not JSON") }
        guard Self.withoutIDs(sent) == Self.withoutIDs(exchange.request) else {
            return fail(
                "request \(index) \(String(decoding: sent.encoded(), as: UTF8.self)) differs from the recorded \(String(decoding: exchange.request.encoded(), as: UTF8.self)): record again with PAYCHAN_RECORD=1"
            )
        }
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
