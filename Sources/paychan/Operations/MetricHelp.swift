/// The `# HELP` text of each metric the program exports (Prometheus's format checker wants one
/// per metric). A metric missing here gets its own name as help.
enum MetricHelp {
    static let texts: [String: String] = [
        // Server: channels and payments (ChannelManager's ServerMetrics).
        "paychan_server_channels_opened_total": "Channels opened (new contracts accepted).",
        "paychan_server_channels_resumed_total": "Stored channels reopened by their client.",
        "paychan_server_channels_settled_total": "Channels settled (settlement broadcast).",
        "paychan_server_channels_refused_total": "Sessions ended by our ERROR before a channel was open.",
        "paychan_server_channels_open": "Channels open on a connection now.",
        "paychan_server_payments_received_total": "Payments received and acknowledged.",
        "paychan_server_received_satoshis_total": "Satoshis received in acknowledged payments.",
        "paychan_server_payment_duration_seconds": "From a payment's arrival to its acknowledgment (durable).",
        "paychan_server_errors_total": "Sessions ended by a local error, and manager failures.",
        "paychan_server_broadcasts_refused_total": "Transactions the chain backend refused.",
        // Server: connections (ChannelTCP).
        "paychan_server_connections_accepted_total": "TCP connections accepted.",
        "paychan_server_connections_refused_total": "TCP connections closed at once: over --max-connections.",
        "paychan_server_connections_open": "TCP connections open now.",
        // Store commits (SQLite and PostgreSQL writers).
        "paychan_store_commits_total": "Store commits (each may carry many writes: group commit).",
        "paychan_store_commit_failures_total": "Store commits that failed (the store fails with them).",
        "paychan_store_commit_duration_seconds": "Time one store commit took, sync included.",
        // Chain backend.
        "paychan_chain_calls_total": "Calls to the chain backend, by call.",
        "paychan_chain_errors_total": "Chain backend calls that failed, by call.",
        // Client (ChannelManager's ClientMetrics).
        "paychan_client_channels_opened_total": "Channels opened by this client.",
        "paychan_client_channels_resumed_total": "Stored channels this client reopened.",
        "paychan_client_payments_acknowledged_total": "Payments the server acknowledged.",
        "paychan_client_paid_satoshis_total": "Satoshis in payments the server acknowledged.",
        "paychan_client_payment_duration_seconds": "From asking to pay to the server's acknowledgment.",
        "paychan_client_refunds_total": "Channels refunded after their expiry.",
        "paychan_client_errors_total": "Sessions ended by a local error, and manager failures.",
    ]

    static func text(for label: String) -> String { texts[label] ?? label }
}
