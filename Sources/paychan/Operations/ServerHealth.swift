import ChannelManager
import ChannelTCP

/// What `paychan server`'s `/healthz` checks: the channel listener is up, and the store commits
/// a write now (``StoreProbe``).
enum ServerHealth {
    /// Starts the `--metrics` endpoint, if asked for.
    static func startEndpoint(
        _ options: ObservabilityOptions, export: PrometheusExport?, listener: ChannelTCPServer, store: any ChannelStore
    ) async throws(CommandFailure) -> OperationsHTTPServer? {
        guard let address = try options.metricsAddress(), let export else { return nil }
        return try await OperationsHTTPServer.start(address, export: export) {
            guard listener.port != nil else { return "the channel listener is not listening" }
            return await StoreProbe.problem(with: store)
        }
    }
}
