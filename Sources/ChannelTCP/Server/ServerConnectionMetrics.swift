import Metrics

/// The listener's connection metrics (swift-metrics; no-ops unless the application bootstraps a
/// backend): connections accepted and refused (over the limit) since start, and open now.
struct ServerConnectionMetrics: Sendable {
    let accepted = Counter(label: "paychan_server_connections_accepted_total")
    let refused = Counter(label: "paychan_server_connections_refused_total")
    let open = Meter(label: "paychan_server_connections_open")
}
