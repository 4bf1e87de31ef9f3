import ChannelStateMachine
import ChannelTCP
import NIOCore
import NIOPosix
import NIOSSL
import PaychanTLSTestSupport
import PaychanTestSupport
import Testing

extension ChannelTCPSuite {
    /// The server's handshake timeout and framing limits, unchanged under TLS.
    @Suite("TLS server limits")
    struct TLSServerLimitsTests {
        @Test("a TLS handshake trickled a byte at a time and never finished is closed at the handshake timeout")
        func unfinishedHandshake() async throws {
            let certificates = try TestCertificates()
            let bed = try await TCPTestbed(
                tls: certificates.server, tcp: ChannelTCPServer.Configuration(handshakeTimeout: .seconds(1)))
            let peer = try await RawPeer.connect(port: bed.port)
            let started = ContinuousClock.now
            // The start of a ClientHello record (type 22, TLS 1.0 record version, 512 bytes).
            let hello: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03]
            for byte in hello {
                guard !peer.isClosed else { break }
                try? await peer.send([byte])
                try await Task.sleep(for: .milliseconds(150))
            }
            #expect(await peer.closed(within: .seconds(10)))
            #expect(ContinuousClock.now - started >= .milliseconds(900))
            try await eventually("the server uncounted it") { bed.listener.connectionCount == 0 }
            await bed.shutdown()
        }

        @Test("a TLS peer trickling a frame in one-byte records opens nothing and is closed at the handshake timeout")
        func tricklingRecords() async throws {
            let certificates = try TestCertificates()
            let bed = try await TCPTestbed(
                tls: certificates.server, tcp: ChannelTCPServer.Configuration(handshakeTimeout: .seconds(1)))
            let peer = try await TLSPeer.connect(port: bed.port, trusting: certificates.authority)
            let started = ContinuousClock.now
            let frame = RawPeer.frame(ChannelMessage.clientVersion(ClientVersion(major: 2)).encoded())
            var sent = 0
            // Each byte is its own TLS record; the frame would be complete after the last one.
            while !peer.isClosed, sent < frame.count * 10 {
                try? await peer.send([frame[sent % frame.count]])
                sent += 1
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(peer.isClosed)
            #expect(ContinuousClock.now - started >= .milliseconds(900))
            #expect(ContinuousClock.now - started < .seconds(8))
            await peer.close()
            await bed.shutdown()
        }

        @Test("an oversized frame over TLS closes the connection without its body")
        func oversizedFrame() async throws {
            let certificates = try TestCertificates()
            let bed = try await TCPTestbed(tls: certificates.server)
            let peer = try await TLSPeer.connect(port: bed.port, trusting: certificates.authority)
            try await peer.send(RawPeer.prefix(32_768))
            #expect(await peer.closed(within: .seconds(10)))
            await bed.shutdown()
        }
    }
}

/// A bare TLS connection (CA-verified, name `localhost`) for feeding a TLS server bytes by
/// hand: every ``send(_:)`` is one TLS record.
final class TLSPeer: Sendable {
    private let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
    }

    static func connect(port: Int, trusting authority: TestCertificates.Issued) async throws -> TLSPeer {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(authority.certificatePEM.utf8)))
        let context = try NIOSSLContext(configuration: tls)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return TLSPeer(channel: channel)
    }

    var isClosed: Bool { !channel.isActive }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes)).get()
    }

    func closed(within limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while channel.isActive, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        return !channel.isActive
    }

    func close() async {
        try? await channel.close()
    }
}
