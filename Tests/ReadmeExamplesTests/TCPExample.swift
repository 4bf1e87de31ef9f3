import BitcoinPrimitives
import ChannelManager
import ChannelTCP

/// The README's third example (also in the DocC article FullStackOverTCP), verbatim between the
/// markers: the full stack over TCP.
func tcpExample(server: ServerManager, client: ClientManager) async throws -> Transaction? {
    // README tcp begin
    let listener = ChannelTCPServer()
    try await listener.start(host: "127.0.0.1", port: 0, serverManager: server)
    let port = listener.port ?? 4242

    let session = try await ChannelTCPClient.connect(
        host: "127.0.0.1", port: port, clientManager: client, serverID: "127.0.0.1:\(port)")
    _ = try await session.open(value: try Amount(satoshis: 500_000))
    for _ in 0..<100 { try await session.pay(try Amount(satoshis: 10)) }
    let settlement = try await session.close()
    await listener.stop()
    // README tcp end
    return settlement
}
