import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import ChannelTCP
import Foundation
import NIOCore
import NIOExtras
import NIOPosix
import Synchronization
import Testing

extension ChannelTCPSuite {
    @Suite("Back-pressure")
    struct BackPressureTests {
        static let sats = TCPTestbed.sats

        /// The server's outbound backlog only builds up once its session has released the
        /// acknowledgements, which it does after their store writes, on the cooperative pool; the
        /// event loop meanwhile goes on reading. Under load (the whole suite in parallel) a burst
        /// of payments was all read before any acknowledgement was written, so the test sends
        /// them in batches, each once the server took (and acknowledged) everything before.
        @Test("the server stops reading from a client that does not read its acknowledgements")
        func serverStopsReading() async throws {
            let bed = try await TCPTestbed(tcp: ChannelTCPServer.Configuration(maxBufferedOutboundBytes: 16 * 1024))
            let acknowledged = AcknowledgementCount(bed.server.events())
            let peer = try await ManualReadPeer.connect(port: bed.port, clientManager: bed.client)
            let opened = try await peer.session.open(value: Self.sats(1_000_000))
            try await peer.setReading(false)

            // Each acknowledgement echoes 30 kB of info; the kernel buffers between the server and
            // the unread client hold about 4 MB (140 acknowledgements): 600 is far more.
            let (batch, limit) = (50, 600)
            let info = [UInt8](repeating: 0x61, count: 30_000)
            var payments: [Task<Void, any Error>] = []
            var taken = 0
            while payments.count < limit {
                for _ in 0..<batch {
                    payments.append(Task { try await peer.session.pay(Self.sats(100), info: info) })
                }
                let sent = payments.count
                try await Self.waitFor("the client to send \(sent) payments") { peer.paymentsSent >= sent }
                taken = try await Self.stalledCount(bed, opened.contractTxid, acknowledged, sent: sent)
                if taken < sent { break }
            }
            print("back-pressure: the server took \(taken) of \(payments.count) payments while unread")
            #expect(taken < payments.count, "the server read every payment although its acknowledgements piled up")

            try await peer.setReading(true)
            for payment in payments { try await payment.value }
            let record = try #require(try await bed.serverStore.serverChannel(contractTxid: opened.contractTxid))
            #expect(record.bestValueToServer == Self.sats(1_000 + Int64(payments.count) * 100))
            acknowledged.stop()
            await peer.close()
            await bed.shutdown()
        }

        /// How many of the `sent` payments the server took once it stopped taking more: every
        /// one it took is acknowledged (handed to its connection) and nothing changed for two
        /// seconds, or for half a second once it took all `sent`. Waits at most a minute,
        /// however loaded the machine is.
        static func stalledCount(
            _ bed: TCPTestbed, _ txid: Hash256, _ acknowledged: AcknowledgementCount, sent: Int
        ) async throws -> Int {
            var last = Amount.zero
            var unchangedSince = ContinuousClock.now
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                let value = try await bed.serverStore.serverChannel(contractTxid: txid)?.bestValueToServer ?? .zero
                let taken = Int((value.satoshis - 1_000) / 100)
                if value != last || acknowledged.upTo < value {
                    last = value
                    unchangedSince = .now
                } else {
                    let quiet = ContinuousClock.now - unchangedSince
                    if quiet > .seconds(2) || (quiet > .milliseconds(500) && taken >= sent) { return taken }
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            Issue.record("the server's payments did not settle within a minute")
            return Int((last.satoshis - 1_000) / 100)
        }

        /// Polls `condition` for up to a minute.
        static func waitFor(_ what: String, _ condition: @Sendable () -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(60)
            while !condition() {
                guard ContinuousClock.now < deadline else {
                    Issue.record("timed out waiting for \(what)")
                    throw CancellationError()
                }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }
}

/// The value up to which a server manager acknowledged payments: its session reports each
/// payment just before it hands the acknowledgement to the connection.
final class AcknowledgementCount: Sendable {
    private final class Highest: Sendable {
        let value = Mutex(Amount.zero)
    }

    private let highest: Highest
    private let task: Task<Void, Never>

    init(_ events: AsyncStream<ServerManagerEvent>) {
        let highest = Highest()
        self.highest = highest
        task = Task {
            for await case .channel(.paymentReceived(_, _, let totalToServer, _), _) in events {
                highest.value.withLock { $0 = max($0, totalToServer) }
            }
        }
    }

    /// The highest value to the server acknowledged so far.
    var upTo: Amount { highest.value.withLock { $0 } }

    func stop() { task.cancel() }
}

/// A client session over a TCP connection whose reading the test switches on and off, framed
/// with NIOExtras' length-field codec.
final class ManualReadPeer: Sendable {
    private final class Connection: ChannelConnection {
        let channel: any Channel
        /// How many `UPDATE_PAYMENT`s were handed to the channel.
        let payments = Mutex(0)

        init(channel: any Channel) { self.channel = channel }

        func send(_ message: [UInt8]) {
            if case .updatePayment? = try? ChannelMessage(decoding: message) { payments.withLock { $0 += 1 } }
            var buffer = channel.allocator.buffer(capacity: 4 + message.count)
            buffer.writeInteger(UInt32(message.count))
            buffer.writeBytes(message)
            channel.writeAndFlush(buffer, promise: nil)
        }

        func close() { channel.close(promise: nil) }
    }

    private final class Receiver: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let session = Mutex<ClientSession?>(nil)

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            session.withLock { $0 }?.receive(Array(unwrapInboundIn(data).readableBytesView))
        }

        func channelInactive(context: ChannelHandlerContext) {
            session.withLock { $0 }?.connectionClosed()
        }
    }

    let session: ClientSession
    private let channel: any Channel
    private let connection: Connection

    private init(session: ClientSession, channel: any Channel, connection: Connection) {
        self.session = session
        self.channel = channel
        self.connection = connection
    }

    /// How many payments the session handed to the connection.
    var paymentsSent: Int { connection.payments.withLock { $0 } }

    static func connect(port: Int, clientManager: ClientManager) async throws -> ManualReadPeer {
        let receiver = Receiver()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            // A small fixed receive buffer (no autotuning): what the kernel may hold for an unread
            // peer stays far below what the server sends, however loaded the machine is.
            .channelOption(.socketOption(.so_rcvbuf), value: 32 * 1024)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(LengthFieldBasedFrameDecoder(lengthFieldLength: .four)), receiver)
                }
            }
            .connect(host: TCPTestbed.host, port: port).get()
        let connection = Connection(channel: channel)
        let session = try clientManager.connect(serverID: TCPTestbed.serverID, connection: connection)
        receiver.session.withLock { $0 = session }
        return ManualReadPeer(session: session, channel: channel, connection: connection)
    }

    func setReading(_ on: Bool) async throws {
        try await channel.setOption(.autoRead, value: on).get()
        if on { channel.read() }
    }

    func close() async {
        try? await channel.close()
    }
}
