import NIOCore
import NIOHTTP1
import NIOPosix

/// The operator's HTTP endpoint (`--metrics HOST:PORT`), on a port of its own: `GET /metrics`
/// answers Prometheus's text format, `GET /healthz` 200 `ok` when the program is healthy and
/// 503 with the reason when not. Anything else is 404 (405 for a method other than GET).
final class OperationsHTTPServer: Sendable {
    /// What `/healthz` reports: nil when healthy, else why not.
    typealias HealthCheck = @Sendable () async -> String?

    private let channel: any Channel

    private init(channel: any Channel) { self.channel = channel }

    /// The port it listens on.
    var port: Int { channel.localAddress?.port ?? 0 }

    /// Listens on `address`, serving `export` and `health`.
    static func start(
        _ address: HostPort, export: PrometheusExport, health: @escaping HealthCheck
    ) async throws(CommandFailure) -> OperationsHTTPServer {
        let routes = OperationsRoutes(export: export, health: health)
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(OperationsHTTPHandler(routes: routes))
                }
            }
        do {
            return OperationsHTTPServer(channel: try await bootstrap.bind(host: address.host, port: address.port).get())
        } catch {
            throw CommandFailure("cannot listen on \(address) for --metrics: \(error)")
        }
    }

    /// Stops listening (connections being answered finish on their own).
    func stop() async {
        try? await channel.close()
    }
}

/// What each path answers.
struct OperationsRoutes: Sendable {
    struct Response: Sendable {
        let status: HTTPResponseStatus
        let contentType: String
        let body: [UInt8]
    }

    let export: PrometheusExport
    let health: OperationsHTTPServer.HealthCheck

    func answer(method: HTTPMethod, uri: String) async -> Response {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)
        guard path == "/metrics" || path == "/healthz" else { return Self.text(.notFound, "not found\n") }
        guard method == .GET || method == .HEAD else { return Self.text(.methodNotAllowed, "GET only\n") }
        if path == "/metrics" {
            return Response(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: export.render())
        }
        if let problem = await health() { return Self.text(.serviceUnavailable, "unhealthy: \(problem)\n") }
        return Self.text(.ok, "ok\n")
    }

    private static func text(_ status: HTTPResponseStatus, _ text: String) -> Response {
        Response(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
    }
}

/// One HTTP connection: answers each request once it has been read whole.
private final class OperationsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let routes: OperationsRoutes
    private var head: HTTPRequestHead?

    init(routes: OperationsRoutes) { self.routes = routes }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            let routes = self.routes
            context.eventLoop.makeFutureWithTask { await routes.answer(method: head.method, uri: head.uri) }
                .assumeIsolated()
                .whenSuccess { response in self.respond(context: context, to: head, with: response) }
        }
    }

    private func respond(
        context: ChannelHandlerContext, to request: HTTPRequestHead, with response: OperationsRoutes.Response
    ) {
        let keepAlive = request.isKeepAlive
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: "\(response.body.count)")
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: request.version, status: response.status, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if request.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive { written.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
    }
}
