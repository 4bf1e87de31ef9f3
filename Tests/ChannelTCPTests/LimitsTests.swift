import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import ChannelTCP
import PaychanTestSupport
import Testing

extension ChannelTCPSuite {
    @Suite("Timeouts and connection limits")
    struct LimitsTests {
        static let sats = TCPTestbed.sats

        @Test("a peer that opens no channel is closed after the handshake timeout; an open channel is not")
        func handshakeTimeout() async throws {
            let tcp = ChannelTCPServer.Configuration(handshakeTimeout: .seconds(1))
            let bed = try await TCPTestbed(tcp: tcp)
            let silent = try await RawPeer.connect(port: bed.port)
            let talker = try await RawPeer.connect(port: bed.port)
            try await talker.send(RawPeer.frame(ChannelMessage.clientVersion(ClientVersion(major: 2)).encoded()))
            let session = try await bed.connect()
            _ = try await session.open(value: Self.sats(300_000))
            try await eventually("the talker gets SERVER_VERSION and INITIATE") { talker.frames.count == 2 }

            #expect(await silent.closed(within: .seconds(10)))
            #expect(silent.received.isEmpty)
            // A version exchange is not an open channel.
            #expect(await talker.closed(within: .seconds(10)))
            #expect(talker.frames.count == 2)
            // The session with an open channel outlives the handshake timeout.
            #expect(!session.isEnded)
            let receipt = try await session.pay(Self.sats(1_000))
            #expect(receipt.amount == Self.sats(1_000))
            // The peers see their close before the server's channels go inactive and are uncounted.
            try await eventually("only the session with a channel is still counted") {
                bed.listener.connectionCount == 1
            }
            await bed.shutdown()
        }

        @Test("connections beyond the maximum are closed at once; a slot freed is reused")
        func maxConnections() async throws {
            let tcp = ChannelTCPServer.Configuration(maxConnections: 3)
            let bed = try await TCPTestbed(tcp: tcp)
            var peers: [RawPeer] = []
            for _ in 0..<3 { peers.append(try await RawPeer.connect(port: bed.port)) }
            try await eventually("three connections are set up") { bed.listener.connectionCount == 3 }

            let extra = try await RawPeer.connect(port: bed.port)
            #expect(await extra.closed(within: .seconds(5)))
            try await eventually("the refused one is not counted") { bed.listener.connectionCount == 3 }
            #expect(peers.allSatisfy { !$0.isClosed })

            await peers[0].close()
            try await eventually("a slot is freed") { bed.listener.connectionCount == 2 }
            let session = try await bed.connect()
            let opened = try await session.open(value: Self.sats(200_000))
            #expect(!opened.resumed)
            #expect(bed.listener.connectionCount == 3)
            await bed.shutdown()
        }

        @Test("an invalid configuration is refused")
        func invalidConfiguration() async throws {
            let bed = try await TCPTestbed()
            let listener = ChannelTCPServer()
            for configuration in [
                ChannelTCPServer.Configuration(handshakeTimeout: .zero),
                ChannelTCPServer.Configuration(idleTimeout: .seconds(-1)),
                ChannelTCPServer.Configuration(maxConnections: 0),
                ChannelTCPServer.Configuration(maxBufferedOutboundBytes: 10),
                ChannelTCPServer.Configuration(eventLoopThreads: 0),
            ] {
                await #expect(throws: ChannelTCPError.self) {
                    try await listener.start(
                        host: TCPTestbed.host, port: 0, serverManager: bed.server, configuration: configuration)
                }
            }
            #expect(listener.port == nil)
            await #expect(throws: ChannelTCPError.self) {
                try await bed.listener.start(host: TCPTestbed.host, port: 0, serverManager: bed.server)
            }
            await bed.shutdown()
        }

        @Test("a port in use is reported; the server can then be started elsewhere")
        func portInUse() async throws {
            let bed = try await TCPTestbed()
            let second = ChannelTCPServer()
            do {
                try await second.start(host: TCPTestbed.host, port: bed.port, serverManager: bed.server)
                Issue.record("binding a port in use should fail")
            } catch {
                guard case .bindFailed(_, let port, _) = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
                #expect(port == bed.port)
            }
            #expect(second.port == nil)
            try await second.start(host: TCPTestbed.host, port: 0, serverManager: bed.server)
            #expect(second.port != nil && second.port != bed.port)
            await second.stop()
            await bed.shutdown()
        }
    }
}
