import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Synchronization
import Testing

@Suite("A client session's last message goes out before its callers hear it ended")
struct SessionEndOrderTests {
    static func sats(_ value: Int64) -> Amount { ManagerTestbed.sats(value) }

    /// `paychan client` exits as soon as `pay` fails: had the failure come before the
    /// transport finished closing, the process could exit with `ERROR TIMEOUT` still queued
    /// (the server never heard why the client left).
    @Test("a payment left unacknowledged fails only once ERROR TIMEOUT was sent and the transport closed")
    func unacknowledgedPaymentFailsAfterClose() async throws {
        let bed = try await ManagerTestbed()
        let pipe = InMemoryPipe()
        let serverSession = try await bed.server.accept(pipe.serverEnd)
        pipe.serverEnd.attach(serverSession.receive, closed: serverSession.connectionClosed)
        let connection = SlowClosingConnection(pipe.clientEnd, closeTakes: .milliseconds(300))
        let session = try bed.client.connect(serverID: "server", connection: connection)
        pipe.clientEnd.attach(
            { [weak session] bytes in if !connection.isSilenced { session?.receive(bytes) } },
            closed: { [weak session] in session?.connectionClosed() })
        _ = try await session.open(value: Self.sats(500_000))
        connection.silence()  // the server's acknowledgements are lost from now on

        let payment = Task { () -> (ClientSessionError?, SlowClosingConnection.Log) in
            do throws(ClientSessionError) {
                try await session.pay(Self.sats(1_000))
                return (nil, connection.log)
            } catch {
                return (error, connection.log)
            }
        }
        try await eventually("the payment is in flight") { session.paymentsInFlight == 1 }
        session.replyTimedOut(after: .seconds(1))
        let (error, seen) = await payment.value

        guard case .ended(.localError(let channelError))? = error else {
            Issue.record("pay should fail with a local TIMEOUT, not \(String(describing: error))")
            return
        }
        #expect(channelError.code == .timeout)
        // What the transport had done when `pay` failed:
        let closedFirst = seen.closed
        #expect(closedFirst, "pay failed before the transport finished closing")
        let sentTypes = seen.sent.map(\.type)
        #expect(sentTypes == [.clientVersion, .provideContract, .updatePayment, .error])
        guard case .error(let sent)? = seen.sent.last else {
            Issue.record("the last message sent is not an ERROR: \(sentTypes)")
            return
        }
        #expect(sent.code == .timeout)
        #expect(session.isEnded)
    }
}

/// A client transport over an in-memory pipe that, like a socket with a backlog, takes a while
/// to flush and close, and that can stop handing the server's messages on (a silent server).
private final class SlowClosingConnection: ChannelConnection {
    struct Log: Sendable {
        var sent: [ChannelMessage] = []
        var closeRequested = false
        /// ``waitUntilClosed()`` returned: what was sent is written, the pipe is cut.
        var closed = false
    }

    private let inner: InMemoryPipe.End
    private let closeTakes: Duration
    private let state = Mutex((log: Log(), silenced: false))

    init(_ inner: InMemoryPipe.End, closeTakes: Duration) {
        self.inner = inner
        self.closeTakes = closeTakes
    }

    var log: Log { state.withLock { $0.log } }
    var isSilenced: Bool { state.withLock { $0.silenced } }
    func silence() { state.withLock { $0.silenced = true } }

    func send(_ message: [UInt8]) {
        let decoded = try? ChannelMessage(decoding: message)
        state.withLock { state in
            if let decoded { state.log.sent.append(decoded) }
        }
        inner.send(message)
    }

    func close() { state.withLock { $0.log.closeRequested = true } }

    func waitUntilClosed() async {
        try? await Task.sleep(for: closeTakes)
        state.withLock { $0.log.closed = true }
        inner.close()
    }
}
