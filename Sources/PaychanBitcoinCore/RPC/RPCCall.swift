/// One JSON-RPC call: a method and its positional parameters.
public struct RPCCall: Sendable, Hashable {
    /// The method, for example `getblockchaininfo`.
    public var method: String
    /// The positional parameters.
    public var params: [JSONValue]

    /// A call of `method` with `params`.
    public init(_ method: String, _ params: [JSONValue] = []) {
        self.method = method
        self.params = params
    }

    /// The request object with `id`, in `version`'s dialect.
    func request(id: Int64, version: RPCConfiguration.ProtocolVersion) -> JSONValue {
        var members: [String: JSONValue] = ["method": .string(method), "params": .array(params), "id": .integer(id)]
        switch version {
        case .v1: members["jsonrpc"] = "1.0"
        case .v2: members["jsonrpc"] = "2.0"
        }
        return .object(members)
    }
}
