import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import ChannelTCP
import Testing

extension ChannelTCPSuite {
    @Suite("Many connections")
    struct ManyConnectionsTests {
        static let sats = TCPTestbed.sats

        @Test("1000 concurrent connections each open a channel, pay three times and close")
        func thousandConnections() async throws {
            let count = 1000
            let bed = try await TCPTestbed(coins: count, coinValue: 300_000)
            let (port, client) = (bed.port, bed.client)
            let start = ContinuousClock.now
            let settled = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<count {
                    group.addTask {
                        // One server ID per connection: each opens a new channel.
                        let session = try await ChannelTCPClient.connect(
                            host: TCPTestbed.host, port: port, clientManager: client, serverID: "many-\(index)")
                        _ = try await session.open(value: Self.sats(200_000))
                        for _ in 0..<3 { try await session.pay(Self.sats(2_000)) }
                        return try await session.close() != nil
                    }
                }
                var settled = 0
                for try await closed in group where closed { settled += 1 }
                return settled
            }
            let elapsed = ContinuousClock.now - start
            print("ChannelTCP: \(count) connections opened, paid 3 times and closed in \(elapsed)")
            #expect(settled == count)
            let records = try await bed.serverStore.serverChannels(in: [.settled])
            #expect(records.count == count)
            #expect(records.allSatisfy { $0.bestValueToServer == Self.sats(7_000) })
            try await eventually("every connection is closed") { bed.listener.connectionCount == 0 }
            await bed.shutdown()
        }
    }
}
