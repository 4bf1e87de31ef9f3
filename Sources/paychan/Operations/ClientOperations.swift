import ChannelManager
import Foundation

/// `paychan client --metrics`: the client's counters on `/metrics` while it runs, and
/// `/healthz` (the store commits a write now). Its address goes to standard error, so that
/// standard output stays the command's own (`--json`, `--progress`).
enum ClientOperations {
    static func start(
        _ options: ObservabilityOptions, export: PrometheusExport?, store: any ChannelStore
    ) async throws(CommandFailure) -> OperationsHTTPServer? {
        guard let address = try options.metricsAddress(), let export else { return nil }
        let server = try await OperationsHTTPServer.start(address, export: export) {
            await StoreProbe.problem(with: store)
        }
        FileHandle.standardError.write(Data("paychan client: metrics on \(address.host):\(server.port)\n".utf8))
        return server
    }
}

extension OperationsHTTPServer {
    /// Stops listening without waiting (for a `defer` at the end of a command).
    func stopSoon() {
        Task { await stop() }
    }
}
