import AsyncHTTPClient
import NIOCore
import PaychanBitcoinCore
import Synchronization

/// Forwards each request to a real node and keeps the exchange.
final class RecordingResponder: Sendable {
    private let node: String
    private let client: HTTPClient
    private let exchanges = Mutex<[Recording.Exchange]>([])

    /// Forwards to the node at `url` (`http://127.0.0.1:PORT`).
    init(url: String) {
        node = url
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
    }

    /// What was recorded.
    var recorded: [Recording.Exchange] { exchanges.withLock { $0 } }

    func respond(_ request: ReceivedRequest) async -> ScriptedReply {
        var forwarded = HTTPClientRequest(url: node + request.uri)
        forwarded.method = .POST
        forwarded.headers.add(name: "Content-Type", value: "application/json")
        if let authorization = request.authorization {
            forwarded.headers.add(name: "Authorization", value: authorization)
        }
        forwarded.body = .bytes(ByteBuffer(bytes: request.body))
        do {
            let response = try await client.execute(forwarded, timeout: .seconds(120))
            let body = try await response.body.collect(upTo: 64 << 20)
            let bytes = Array(body.readableBytesView)
            let sent = (try? JSONValue.parse(request.body)) ?? .string(String(decoding: request.body, as: UTF8.self))
            exchanges.withLock {
                $0.append(
                    .init(
                        request: sent, status: Int(response.status.code),
                        response: String(decoding: bytes, as: UTF8.self)))
            }
            return .respond(status: Int(response.status.code), body: bytes)
        } catch {
            return .close
        }
    }

    func shutdown() async { try? await client.shutdown() }
}
