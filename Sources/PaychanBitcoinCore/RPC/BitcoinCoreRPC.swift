import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// A JSON-RPC client of one Bitcoin Core node, over one kept-alive `HTTPClient`.
///
/// Calls that fail for a passing reason (connection refused or reset, the connection dropped
/// before the whole answer came, HTTP 503 because the node's work queue is full, the cookie
/// file not written yet, RPC -28 while the node warms up) are tried again with waits doubling
/// as ``RetryPolicy`` says. A 401 with cookie credentials reads the cookie file again once
/// (the node writes a new cookie each start) before it counts as a failure. Every answer is
/// decoded strictly (``RPCResponseDecoding``): garbage, a wrong id, a truncated or oversized
/// body are ``RPCError/unavailable(_:)``, never a trap.
public final class BitcoinCoreRPC: Sendable {
    /// Where the node is and how to talk to it.
    public let configuration: RPCConfiguration
    private let client: HTTPClient
    private let ownsClient: Bool
    /// The client whose `HTTPClient` a wallet client (``wallet(_:)``) shares, kept alive by it:
    /// its `deinit` shuts that `HTTPClient` down.
    private let sharedFrom: BitcoinCoreRPC?
    private let endpoint: String
    private let state = Mutex(State())

    private struct State {
        var nextID: Int64 = 1
        var authorization: String?
        var calls = 0
    }

    /// A client of the node `configuration` names. It owns a new `HTTPClient` unless one is
    /// given (then the caller shuts that one down).
    /// - Throws: ``RPCError/unavailable(_:)`` when the URL is not an `http://HOST:PORT` URL.
    public convenience init(configuration: RPCConfiguration, httpClient: HTTPClient? = nil) throws(RPCError) {
        try self.init(configuration: configuration, httpClient: httpClient, sharedFrom: nil)
    }

    private init(configuration: RPCConfiguration, httpClient: HTTPClient?, sharedFrom: BitcoinCoreRPC?)
        throws(RPCError)
    {
        self.sharedFrom = sharedFrom
        guard let url = URL(string: configuration.url), let scheme = url.scheme, ["http", "https"].contains(scheme),
            let host = url.host, !host.isEmpty
        else { throw .unavailable("\(configuration.url) is not an http://HOST:PORT URL") }
        var endpoint = configuration.url
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        if let wallet = configuration.wallet {
            let escaped = wallet.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? wallet
            endpoint += "/wallet/" + escaped
        } else {
            endpoint += "/"
        }
        self.endpoint = endpoint
        self.configuration = configuration
        if let httpClient {
            client = httpClient
            ownsClient = false
        } else {
            let timeouts = HTTPClient.Configuration.Timeout(
                connect: Self.timeAmount(configuration.connectTimeout),
                read: Self.timeAmount(configuration.requestTimeout))
            // Core closes a connection idle for -rpcservertimeout (30 s): drop ours sooner.
            var clientConfiguration = HTTPClient.Configuration(
                timeout: timeouts, connectionPool: .init(idleTimeout: .seconds(20)))
            clientConfiguration.httpVersion = HTTPClient.Configuration.HTTPVersion.http1Only
            client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: clientConfiguration)
            ownsClient = true
        }
    }

    /// A client of the node wallet `name` (`/wallet/NAME`; `nil`: the node's default wallet)
    /// on this client's connections, to be used while this client is open.
    public func wallet(_ name: String?) throws(RPCError) -> BitcoinCoreRPC {
        var walletConfiguration = configuration
        walletConfiguration.wallet = name
        return try BitcoinCoreRPC(configuration: walletConfiguration, httpClient: client, sharedFrom: self)
    }

    /// Closes the connections (when this client owns its `HTTPClient`).
    public func shutdown() async {
        guard ownsClient else { return }
        try? await client.shutdown()
    }

    deinit {
        // Dropped without ``shutdown()`` (an error path of its owner): close the connections
        // anyway rather than leak them (and trap, in a debug build). The `HTTPClient` keeps
        // itself alive until that is done; after a ``shutdown()`` this is refused, harmlessly.
        if ownsClient { client.shutdown { _ in } }
    }

    /// How many HTTP requests this client has sent (a batch counts once, each retry counts).
    public var requestsSent: Int { state.withLock { $0.calls } }

    /// Calls `method` with `params` and returns its result.
    /// - Throws: ``RPCError/node(code:message:)`` when the node answers an error,
    ///   ``RPCError/unavailable(_:)`` when it cannot be reached or answers nonsense.
    public func call(_ method: String, _ params: [JSONValue] = []) async throws(RPCError) -> JSONValue {
        try await call(RPCCall(method, params))
    }

    /// Makes `call` and returns its result (see ``call(_:_:)``).
    public func call(_ call: RPCCall) async throws(RPCError) -> JSONValue {
        try await withRetries(call.method) { () async throws(Attempt) -> JSONValue in
            let id = nextID(count: 1)
            let body = try await post(call.request(id: id, version: configuration.protocolVersion))
            let outcome: Result<JSONValue, RPCError>
            do throws(RPCError) { outcome = try RPCResponseDecoding.single(body, id: id) } catch {
                throw .failed(error)
            }
            if case .failure(.node(let code, let message)) = outcome, code == RPCError.warmingUp {
                throw .transient("the node is warming up (\(message))")
            }
            do throws(RPCError) { return try outcome.get() } catch { throw .failed(error) }
        }
    }

    /// Sends `calls` as one JSON-RPC batch (one HTTP request) and returns each call's outcome
    /// in order: the node may answer some calls with errors and others with results.
    /// - Throws: ``RPCError/unavailable(_:)`` when the batch as a whole fails.
    public func batch(_ calls: [RPCCall]) async throws(RPCError) -> [Result<JSONValue, RPCError>] {
        guard !calls.isEmpty else { return [] }
        let name = calls.map(\.method).joined(separator: "+")
        return try await withRetries(name) { () async throws(Attempt) -> [Result<JSONValue, RPCError>] in
            let first = nextID(count: calls.count)
            let ids = calls.indices.map { first + Int64($0) }
            let requests = zip(calls, ids).map { call, id in
                call.request(id: id, version: configuration.protocolVersion)
            }
            let body = try await post(.array(requests))
            let outcomes: [Result<JSONValue, RPCError>]
            do throws(RPCError) { outcomes = try RPCResponseDecoding.batch(body, ids: ids) } catch {
                throw .failed(error)
            }
            for case .failure(.node(let code, let message)) in outcomes where code == RPCError.warmingUp {
                throw .transient("the node is warming up (\(message))")
            }
            return outcomes
        }
    }

    // MARK: One try

    /// How one try ended, when it did not give an answer.
    enum Attempt: Error {
        /// Worth trying again after a wait.
        case transient(String)
        /// The node refused the credentials (HTTP 401).
        case unauthorized
        /// Final.
        case failed(RPCError)
    }

    private func nextID(count: Int) -> Int64 {
        state.withLock { state in
            defer { state.nextID += Int64(count) }
            return state.nextID
        }
    }

    private func authorization() throws(Attempt) -> String {
        if let cached = state.withLock({ $0.authorization }) { return cached }
        let header: String
        do throws(RPCError) { header = try configuration.credentials.authorization() } catch {
            // A missing cookie file means the node is not up yet (or restarting).
            throw .transient(error.description)
        }
        state.withLock { $0.authorization = header }
        return header
    }

    /// POSTs `payload` and returns the JSON the node answered (with HTTP 200, or with 500/404/400,
    /// which carry JSON-RPC 1.0 errors).
    private func post(_ payload: JSONValue) async throws(Attempt) -> JSONValue {
        var request = HTTPClientRequest(url: endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Authorization", value: try authorization())
        request.body = .bytes(ByteBuffer(bytes: payload.encoded()))
        state.withLock { $0.calls += 1 }
        let status: HTTPResponseStatus
        let body: ByteBuffer
        do {
            let timeout = Self.timeAmount(configuration.requestTimeout)
            let response = try await client.execute(request, timeout: timeout, logger: nil)
            status = response.status
            body = try await response.body.collect(upTo: configuration.maximumResponseBytes)
        } catch {
            throw Self.classify(error)
        }
        switch status.code {
        case 401: throw .unauthorized
        case 503: throw .transient("HTTP 503 (the node's RPC work queue is full)")
        case 200, 400, 404, 500:
            do { return try JSONValue.parse(body.readableBytesView) } catch {
                throw .failed(
                    .unavailable("HTTP \(status.code) with a body that is not JSON (\(body.readableBytes) bytes)"))
            }
        default:
            throw .failed(.unavailable("HTTP \(status.code) \(status.reasonPhrase)"))
        }
    }

    /// Transport errors: timeouts and oversized answers are final; the rest (refused, reset,
    /// closed before the answer was whole) are passing.
    private static func classify(_ error: any Error) -> Attempt {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout:
                return .failed(.unavailable("no answer in time (\(error))"))
            case .cancelled:
                return .failed(.unavailable("cancelled"))
            default:
                return .transient("\(error)")
            }
        }
        if error is NIOTooManyBytesError {
            return .failed(.unavailable("the answer is larger than the limit"))
        }
        if error is CancellationError { return .failed(.unavailable("cancelled")) }
        return .transient("\(error)")
    }

    /// `duration` as NIO's `TimeAmount`.
    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    // MARK: Retries

    private func withRetries<T>(_ what: String, _ operation: () async throws(Attempt) -> T) async throws(RPCError)
        -> T
    {
        var attempt = 1
        var reloadedCookie = false
        while true {
            do { return try await operation() } catch {
                switch error {
                case .failed(let failure):
                    throw failure
                case .unauthorized:
                    guard configuration.credentials.isCookie, !reloadedCookie else {
                        throw .unavailable("the node refused our credentials (HTTP 401)")
                    }
                    reloadedCookie = true
                    state.withLock { $0.authorization = nil }
                    configuration.logger.info("bitcoind answered 401: reading the cookie file again")
                case .transient(let reason):
                    guard attempt < configuration.retry.attempts else {
                        throw .unavailable("\(what): \(reason) (after \(attempt) tries)")
                    }
                    let delay = configuration.retry.delay(afterAttempt: attempt)
                    configuration.logger.warning("bitcoind \(what) failed (\(reason)); try \(attempt + 1) in \(delay)")
                    attempt += 1
                    do { try await Task.sleep(for: delay) } catch { throw .unavailable("cancelled") }
                }
            }
        }
    }
}
