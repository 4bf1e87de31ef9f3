import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import ChannelTCP
import PaychanTestSupport
import Testing

extension ChannelTCPSuite {
    @Suite("Framing as bitcoinj does it, against a raw socket")
    struct FramingTests {
        static let sats = TCPTestbed.sats

        /// An honest client still gets a channel from `bed`.
        static func honestClientIsServed(_ bed: TCPTestbed) async throws {
            let session = try await bed.connect()
            _ = try await session.open(value: Self.sats(200_000))
            try await session.pay(Self.sats(1_000))
            _ = try #require(try await session.close())
        }

        @Test(
            "a length above 32767 (or negative) closes the connection without waiting for the body",
            arguments: [UInt32(32_768), UInt32(Int32.max), UInt32.max, UInt32(0x8000_0000)])
        func oversizedPrefix(length: UInt32) async throws {
            let bed = try await TCPTestbed()
            let peer = try await RawPeer.connect(port: bed.port)
            // Only the prefix: a server that waited for the body would never close.
            try await peer.send(RawPeer.prefix(length))
            #expect(await peer.closed(within: .seconds(5)))
            #expect(peer.received.isEmpty)
            try await eventually("the connection is gone") { bed.listener.connectionCount == 0 }
            try await Self.honestClientIsServed(bed)
            await bed.shutdown()
        }

        @Test("a frame of 32767 bytes is read whole (and refused by the machine with ERROR)")
        func largestFrame() async throws {
            let bed = try await TCPTestbed()
            let peer = try await RawPeer.connect(port: bed.port)
            try await peer.send(RawPeer.frame([UInt8](repeating: 0xFF, count: WireLimits.maxMessageSize)))
            #expect(await peer.closed(within: .seconds(5)))
            let frames = peer.frames
            #expect(frames.count == 1)
            guard case .error = try ChannelMessage(decoding: try #require(frames.first)) else {
                Issue.record("expected an ERROR frame")
                return
            }
            await bed.shutdown()
        }

        @Test("a zero-length frame gets an ERROR frame, then the connection is closed")
        func zeroLength() async throws {
            let bed = try await TCPTestbed()
            let peer = try await RawPeer.connect(port: bed.port)
            try await peer.send(RawPeer.prefix(0))
            #expect(await peer.closed(within: .seconds(5)))
            let frames = peer.frames
            #expect(frames.count == 1)
            let message = try ChannelMessage(decoding: try #require(frames.first))
            guard case .error(let error) = message else {
                Issue.record("expected ERROR, got \(message)")
                return
            }
            #expect(error.code == .syntaxError)
            try await Self.honestClientIsServed(bed)
            await bed.shutdown()
        }

        @Test("a CLIENT_VERSION trickled one byte at a time is answered with SERVER_VERSION and INITIATE")
        func trickled() async throws {
            let bed = try await TCPTestbed()
            let peer = try await RawPeer.connect(port: bed.port)
            let hello = ChannelMessage.clientVersion(ClientVersion(major: 2)).encoded()
            for byte in RawPeer.frame(hello) {
                try await peer.send([byte])
                try await Task.sleep(for: .milliseconds(2))
            }
            try await eventually("two frames arrive") { peer.frames.count >= 2 }
            let messages = try peer.frames.map { try ChannelMessage(decoding: $0) }
            guard case .serverVersion(let version) = messages[0], case .initiate = messages[1] else {
                Issue.record("unexpected answer \(messages)")
                return
            }
            #expect(version.major == 2)
            #expect(!peer.isClosed)
            await peer.close()
            await bed.shutdown()
        }

        @Test("several frames in one write are each handled")
        func coalesced() async throws {
            let bed = try await TCPTestbed()
            let peer = try await RawPeer.connect(port: bed.port)
            let hello = RawPeer.frame(ChannelMessage.clientVersion(ClientVersion(major: 2)).encoded())
            // CLIENT_VERSION twice: the second is out of order and gets an ERROR.
            try await peer.send(hello + hello)
            #expect(await peer.closed(within: .seconds(5)))
            let messages = try peer.frames.map { try ChannelMessage(decoding: $0) }
            #expect(messages.count == 3)
            guard case .error(let error) = messages.last else {
                Issue.record("expected ERROR last, got \(messages)")
                return
            }
            #expect(error.code == .syntaxError)
            await bed.shutdown()
        }
    }
}
