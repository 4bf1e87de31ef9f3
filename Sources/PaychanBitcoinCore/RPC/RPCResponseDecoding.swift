/// Reads the answers to JSON-RPC requests strictly: every answer must be an object carrying
/// the request's id and either a result or an error object with an integer code and a
/// message; a batch answer must answer each request of the batch exactly once.
enum RPCResponseDecoding {
    /// The outcome of the single request `id` from the body `body`.
    static func single(_ body: JSONValue, id: Int64) throws(RPCError) -> Result<JSONValue, RPCError> {
        let (answeredID, outcome) = try envelope(body)
        guard answeredID == id else {
            throw .unavailable("the node answered request \(id) with the id \(answeredID.map(String.init) ?? "null")")
        }
        return outcome
    }

    /// The outcomes of the batch whose requests had `ids`, in the order of `ids`.
    static func batch(_ body: JSONValue, ids: [Int64]) throws(RPCError) -> [Result<JSONValue, RPCError>] {
        guard case .array(let answers) = body else {
            // Core answers a batch it cannot parse at all with one error object.
            if case .object = body, case .failure(let error) = try envelope(body).1 { throw error }
            throw .unavailable("the node answered a batch of \(ids.count) with \(body.summary)")
        }
        guard answers.count == ids.count else {
            throw .unavailable("the node answered a batch of \(ids.count) calls with \(answers.count) answers")
        }
        var outcomes: [Int64: Result<JSONValue, RPCError>] = [:]
        for answer in answers {
            let (answeredID, outcome) = try envelope(answer)
            guard let answeredID, ids.contains(answeredID), outcomes[answeredID] == nil else {
                throw .unavailable("the node answered a batch with an unexpected id in \(answer.summary)")
            }
            outcomes[answeredID] = outcome
        }
        var ordered: [Result<JSONValue, RPCError>] = []
        for id in ids {
            guard let outcome = outcomes[id] else {
                throw .unavailable("the node did not answer call \(id) of a batch")
            }
            ordered.append(outcome)
        }
        return ordered
    }

    /// The id and the outcome of one answer object.
    private static func envelope(_ answer: JSONValue) throws(RPCError) -> (Int64?, Result<JSONValue, RPCError>) {
        guard case .object(let members) = answer else {
            throw .unavailable("the node answered \(answer.summary), not a JSON-RPC answer object")
        }
        let id: Int64?
        switch members["id"] {
        case .integer(let value): id = value
        case .null, nil: id = nil
        case .some(let other): throw .unavailable("the node answered with the id \(other.summary)")
        }
        if let error = members["error"], error != .null {
            guard case .object(let fields) = error, case .integer(let code)? = fields["code"],
                case .string(let message)? = fields["message"]
            else { throw .unavailable("the node answered a malformed error \(error.summary)") }
            return (id, .failure(.node(code: code, message: message)))
        }
        guard let result = members["result"] else {
            throw .unavailable("the node answered \(answer.summary) with neither a result nor an error")
        }
        return (id, .success(result))
    }
}
