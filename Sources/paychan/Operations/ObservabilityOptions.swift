import ArgumentParser
import Logging

/// The options of a long-running command for its operator: metrics and health over HTTP, and
/// the log's level and format.
struct ObservabilityOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Serve Prometheus metrics on /metrics and health on /healthz at HOST:PORT (port 0 picks a free port).",
            valueName: "host:port"))
    var metrics: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Log level: trace, debug, info, notice, warning, error or critical.", valueName: "level"))
    var logLevel: String = "info"

    @Option(name: .long, help: ArgumentHelp("Log format: text or json (one object a line).", valueName: "format"))
    var logFormat: String = "text"

    /// The `--metrics` address, checked.
    func metricsAddress() throws(CommandFailure) -> HostPort? {
        try metrics.map { text throws(CommandFailure) in try HostPort(text, option: "--metrics") }
    }

    /// Checks the log options and makes them the process's log handler (once, before logging),
    /// and makes swift-prometheus the metrics backend when `--metrics` is given. Returns the
    /// registry to export, if any.
    func bootstrap() throws(CommandFailure) -> PrometheusExport? {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw CommandFailure(
                "--log-level must be trace, debug, info, notice, warning, error or critical, not \(logLevel)")
        }
        switch logFormat {
        case "text":
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        case "json":
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, logLevel: level) }
        default:
            throw CommandFailure("--log-format must be text or json, not \(logFormat)")
        }
        _ = try metricsAddress()
        return metrics == nil ? nil : PrometheusExport.bootstrap()
    }
}
