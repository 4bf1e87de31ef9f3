import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import ChannelTCP
import NIOCore
import NIOPosix
import Testing

extension ChannelTCPSuite {
    @Suite("Managers end to end over TCP on 127.0.0.1")
    struct EndToEndTCPTests {
        static let sats = TCPTestbed.sats

        @Test("open, pay 200 times, close and mine the settlement", arguments: [ProtocolVersion.v1, .v2])
        func openPayClose(version: ProtocolVersion) async throws {
            let bed = try await TCPTestbed(versions: [version], selector: version == .v1 ? .v2AllowV1 : .v2)
            let session = try await bed.connect()
            #expect(session.serverID == TCPTestbed.serverID)
            let opened = try await session.open(value: Self.sats(1_000_000))
            #expect(!opened.resumed)
            #expect(opened.valueLeft == Self.sats(999_000))
            for index in 1...200 {
                let receipt = try await session.pay(Self.sats(100), info: Array("item \(index)".utf8))
                #expect(receipt.info == Array("item \(index)".utf8))
            }
            let record = try #require(session.record)
            #expect(record.valueLeft == Self.sats(979_000))
            #expect(record.version == version)

            let settlement = try #require(try await session.close())
            await session.waitUntilEnded()
            #expect(bed.chain.mempoolTxids.contains(settlement.txid))
            bed.chain.mine()
            #expect(bed.chain.transactionStatus(of: settlement.txid) == .confirmed(confirmations: 1))
            let clientScript = Script.p2pkh(publicKey: record.clientPublicKey)
            #expect(settlement.outputs.contains { $0.scriptPubKey == clientScript && $0.value == Self.sats(979_000) })
            let serverRecord = try #require(try await bed.serverStore.serverChannel(contractTxid: opened.contractTxid))
            #expect(serverRecord.state == .settled)
            #expect(serverRecord.bestValueToServer == Self.sats(21_000))
            try await eventually("the server connection is closed") { bed.listener.connectionCount == 0 }
            await bed.shutdown()
        }

        @Test("64 pipelined payments are all acknowledged")
        func pipelined() async throws {
            let bed = try await TCPTestbed()
            let session = try await bed.connect()
            _ = try await session.open(value: Self.sats(2_000_000))
            let receipts = try await withThrowingTaskGroup(of: PaymentReceipt.self) { group in
                for _ in 0..<64 { group.addTask { try await session.pay(Self.sats(1_000)) } }
                var all: [PaymentReceipt] = []
                for try await receipt in group { all.append(receipt) }
                return all
            }
            #expect(receipts.count == 64)
            #expect(Set(receipts.map(\.valueLeft)).count == 64)
            #expect(session.record?.valueLeft == Self.sats(2_000_000 - 1_000 - 64_000))
            let contract = try #require(session.record?.contractTxid)
            let serverRecord = try #require(try await bed.serverStore.serverChannel(contractTxid: contract))
            #expect(serverRecord.bestValueToServer == Self.sats(65_000))
            await bed.shutdown()
        }

        @Test("an idle connection is closed; a new TCP connection reopens the channel")
        func reopenAfterIdleClose() async throws {
            let tcp = ChannelTCPServer.Configuration(handshakeTimeout: .seconds(5), idleTimeout: .seconds(2))
            let bed = try await TCPTestbed(tcp: tcp)
            let first = try await bed.connect()
            let opened = try await first.open(value: Self.sats(500_000))
            try await first.pay(Self.sats(2_000))
            // Nothing is sent for longer than the idle timeout: the server closes the connection.
            await first.waitUntilEnded()
            await #expect(throws: ClientSessionError.self) { try await first.pay(Self.sats(1_000)) }

            let second = try await bed.connect()
            let reopened = try await second.open(value: Self.sats(500_000))
            #expect(reopened.resumed)
            #expect(reopened.contractTxid == opened.contractTxid)
            #expect(reopened.valueLeft == Self.sats(497_000))
            try await second.pay(Self.sats(3_000))
            let settlement = try #require(try await second.close())
            bed.chain.mine()
            let record = try #require(try await bed.serverStore.serverChannel(contractTxid: opened.contractTxid))
            #expect(record.bestValueToServer == Self.sats(6_000))
            #expect(record.settlement == settlement)
            await bed.shutdown()
        }

        @Test("stopping the listener closes connections without settling; a new listener resumes the channel")
        func stopDoesNotSettle() async throws {
            let bed = try await TCPTestbed()
            let first = try await bed.connect()
            let opened = try await first.open(value: Self.sats(500_000))
            try await first.pay(Self.sats(4_000))
            #expect(bed.listener.connectionCount == 1)
            await bed.listener.stop()
            #expect(bed.listener.port == nil)
            #expect(bed.listener.connectionCount == 0)
            await first.waitUntilEnded()
            let stored = try #require(try await bed.serverStore.serverChannel(contractTxid: opened.contractTxid))
            #expect(stored.state == .open)
            #expect(bed.chain.mempoolTxids.count == 1)  // only the contract

            let listener = ChannelTCPServer()
            try await listener.start(host: TCPTestbed.host, port: 0, serverManager: bed.server)
            let port = try #require(listener.port)
            let second = try await ChannelTCPClient.connect(
                host: TCPTestbed.host, port: port, clientManager: bed.client, serverID: TCPTestbed.serverID)
            let reopened = try await second.open(value: Self.sats(500_000))
            #expect(reopened.resumed)
            #expect(reopened.valueLeft == Self.sats(495_000))
            _ = try #require(try await second.close())
            await listener.stop()
            await bed.shutdown()
        }

        @Test("a refused connection reports the address")
        func connectionRefused() async throws {
            let bed = try await TCPTestbed()
            let port = bed.port
            await bed.listener.stop()
            do {
                _ = try await ChannelTCPClient.connect(host: TCPTestbed.host, port: port, clientManager: bed.client)
                Issue.record("connect should fail")
            } catch {
                guard case .connectFailed(let host, let failedPort, _) = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
                #expect(host == TCPTestbed.host && failedPort == port)
            }
            await bed.shutdown()
        }

        @Test("a server that accepts and stays silent: open fails after the client's handshake timeout")
        func silentServer() async throws {
            let bed = try await TCPTestbed()
            // A listener that accepts connections and never says anything.
            let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: TCPTestbed.host, port: 0).get()
            let port = try #require(silent.localAddress?.port)
            let session = try await ChannelTCPClient.connect(
                host: TCPTestbed.host, port: port, clientManager: bed.client,
                configuration: ChannelTCPClient.Configuration(handshakeTimeout: .milliseconds(300)))
            let started = ContinuousClock.now
            do {
                _ = try await session.open(value: Self.sats(500_000))
                Issue.record("open should fail against a silent server")
            } catch {
                guard case .ended = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
            }
            #expect(ContinuousClock.now - started < .seconds(30))
            try await silent.close()
            await bed.shutdown()
        }
    }
}
