import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Testing

/// A client that fails over tries its stored channel at one address after another: a session
/// that ended before the server resumed the channel must let the next session offer it again,
/// or the client would fund a second channel with a server that holds the first open.
@Suite("A session that ends before its channel is resumed lets the next one reopen it")
struct ReopenAfterFailedAttemptTests {
    static func sats(_ value: Int64) -> Amount { ManagerTestbed.sats(value) }

    /// A bed with one open channel on which 2,000 was paid, its connection closed.
    private static func bedWithStoredChannel() async throws -> (ManagerTestbed, OpenedChannel) {
        let bed = try await ManagerTestbed()
        let (session, _, pipe) = try await bed.connect()
        let opened = try await session.open(value: sats(500_000))
        try await session.pay(sats(1_000))
        pipe.cut()
        await session.waitUntilEnded()
        return (bed, opened)
    }

    /// The next session, on a working connection, resumes `opened` rather than funding anew.
    private static func expectResumed(_ opened: OpenedChannel, by bed: ManagerTestbed) async throws {
        let (session, _, _) = try await bed.connect()
        let reopened = try await session.open(value: sats(500_000))
        #expect(reopened.resumed)
        #expect(reopened.contractTxid == opened.contractTxid)
        #expect(reopened.valueLeft == sats(498_000))
        #expect(try await bed.client.channels().count == 1)
    }

    @Test("the connection closed before open was called (a balancer with no server behind it)")
    func closedBeforeOpen() async throws {
        let (bed, opened) = try await Self.bedWithStoredChannel()
        let dropped = try bed.client.connect(serverID: "server", connection: InMemoryPipe().clientEnd)
        dropped.connectionClosed()
        await #expect(throws: ClientSessionError.self) { try await dropped.open(value: Self.sats(500_000)) }
        try await Self.expectResumed(opened, by: bed)
    }

    @Test("the connection closed while the client waited for the server to resume the channel")
    func closedDuringResume() async throws {
        let (bed, opened) = try await Self.bedWithStoredChannel()
        // Nothing answers on this pipe: the server end only collects what the client sends.
        let silent = InMemoryPipe()
        let waiting = try bed.client.connect(serverID: "server", connection: silent.clientEnd)
        silent.clientEnd.attach(waiting.receive, closed: waiting.connectionClosed)
        let attempt = Task { () -> ClientSessionError? in
            do throws(ClientSessionError) {
                _ = try await waiting.open(value: Self.sats(500_000))
                return nil
            } catch {
                return error
            }
        }
        try await eventually("the client asked to resume") { silent.serverEnd.bytesReceived > 0 }
        silent.cut()
        guard case .ended(.connectionClosed)? = await attempt.value else {
            Issue.record("the attempt should end with the connection")
            return
        }
        try await Self.expectResumed(opened, by: bed)
    }
}
