import Logging

/// Where the node is and how to talk to it.
public struct RPCConfiguration: Sendable {
    /// The JSON-RPC dialect: Core answers errors with HTTP 500 under 1.0 and with HTTP 200
    /// under 2.0 (Core 28 and later); both are understood whichever is chosen.
    public enum ProtocolVersion: Sendable, Hashable {
        case v1
        case v2
    }

    /// The node's RPC address, for example `http://127.0.0.1:18443`.
    public var url: String
    /// Cookie file or user and password.
    public var credentials: RPCCredentials
    /// The longest a call may take, the reading of the answer included.
    public var requestTimeout: Duration
    /// The longest a connection may take to open.
    public var connectTimeout: Duration
    /// Retries of passing failures.
    public var retry: RetryPolicy
    /// The dialect requests are sent in.
    public var protocolVersion: ProtocolVersion
    /// The node wallet calls go to (`/wallet/NAME`), if any.
    public var wallet: String?
    /// The largest answer read (a block is at most 4 MB, 8 MB as hex).
    public var maximumResponseBytes: Int
    /// Where retries and credential reloads are logged.
    public var logger: Logger

    /// A configuration with 30-second calls, 2-second connects and the default retries. A
    /// connection refused is tried again by the HTTP client until the connect timeout, so one
    /// try against a node that is down takes about `connectTimeout`.
    public init(
        url: String, credentials: RPCCredentials, requestTimeout: Duration = .seconds(30),
        connectTimeout: Duration = .seconds(2), retry: RetryPolicy = RetryPolicy(),
        protocolVersion: ProtocolVersion = .v2, wallet: String? = nil, maximumResponseBytes: Int = 32 << 20,
        logger: Logger = Logger(label: "paychan.bitcoind")
    ) {
        self.url = url
        self.credentials = credentials
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
        self.retry = retry
        self.protocolVersion = protocolVersion
        self.wallet = wallet
        self.maximumResponseBytes = maximumResponseBytes
        self.logger = logger
    }
}
