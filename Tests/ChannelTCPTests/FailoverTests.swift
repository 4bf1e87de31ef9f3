import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import ChannelTCP
import Testing

extension ChannelTCPSuite {
    /// One server reachable at several addresses (two listeners of one server manager, so one
    /// store): what this proves is the client's side, trying addresses in turn under one server
    /// identity. Several server nodes sharing a store are another matter (issue 17, parts 1-2).
    @Suite("A client that fails over between the addresses of one server")
    struct FailoverTests {
        static let sats = TCPTestbed.sats

        @Test("the first address refuses connections: the second opens the channel")
        func firstRefused() async throws {
            let bed = try await TCPTestbed()
            let dead = try await FailoverAddresses.refusing()
            let served = try await ChannelTCPClient.open(
                value: Self.sats(400_000), servers: [dead, bed.address], clientManager: bed.client)
            #expect(served.address == bed.address)
            #expect(!served.channel.resumed)
            // By default the server is named by the whole list.
            #expect(served.session.serverID == "\(dead),\(bed.address)")
            #expect(served.failedAttempts.map(\.address) == [dead])
            guard case .connectFailed(_, let port, _)? = served.failedAttempts.first?.error else {
                Issue.record("the first attempt should have failed to connect: \(served.failedAttempts)")
                return
            }
            #expect(port == dead.port)
            try await served.session.pay(Self.sats(2_000))
            let serverRecord = try #require(
                try await bed.serverStore.serverChannel(contractTxid: served.channel.contractTxid))
            #expect(serverRecord.bestValueToServer == Self.sats(3_000))
            await bed.shutdown()
        }

        @Test("a channel opened through one address is reopened through another (after one that drops the connection)")
        func reopenThroughAnotherAddress() async throws {
            let bed = try await TCPTestbed()
            let second = try await bed.secondListener()
            let dropping = try await FailoverAddresses.dropping()
            let identity = "pay.example"
            let first = try await ChannelTCPClient.open(
                value: Self.sats(500_000), servers: [bed.address, second.address], serverID: identity,
                clientManager: bed.client)
            #expect(first.address == bed.address && first.failedAttempts.isEmpty)
            try await first.session.pay(Self.sats(4_000))
            // The first address goes away, taking its connection with it.
            let firstAddress = bed.address
            await bed.listener.stop()
            await first.session.waitUntilEnded()

            let again = try await ChannelTCPClient.open(
                value: Self.sats(500_000), servers: [firstAddress, dropping.address, second.address],
                serverID: identity, clientManager: bed.client)
            #expect(again.address == second.address)
            #expect(again.channel.resumed)
            #expect(again.channel.contractTxid == first.channel.contractTxid)
            #expect(again.channel.valueLeft == Self.sats(495_000))
            #expect(again.failedAttempts.map(\.address) == [firstAddress, dropping.address])
            guard case .session(.ended(.connectionClosed))? = again.failedAttempts.last?.error else {
                Issue.record("the dropping address should have ended the session: \(again.failedAttempts)")
                return
            }
            try await again.session.pay(Self.sats(5_000))
            let settlement = try #require(try await again.session.close())
            let record = try #require(try await bed.serverStore.serverChannel(contractTxid: first.channel.contractTxid))
            #expect(record.bestValueToServer == Self.sats(10_000))
            #expect(record.settlement == settlement)
            // One channel in all: the failed attempts funded nothing.
            #expect(try await bed.client.channels().count == 1)
            try await dropping.listener.close()
            await second.listener.stop()
            await bed.shutdown()
        }

        @Test("no address serves: a typed error lists each attempt, in order, and nothing is funded")
        func allFail() async throws {
            let bed = try await TCPTestbed()
            let dead = try await FailoverAddresses.refusing()
            let dropping = try await FailoverAddresses.dropping()
            do {
                let served = try await ChannelTCPClient.open(
                    value: Self.sats(400_000), servers: [dead, dropping.address], clientManager: bed.client)
                Issue.record("open should fail, yet \(served.address) served")
            } catch {
                guard case .noServerReachable(let attempts) = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
                #expect(attempts.map(\.address) == [dead, dropping.address])
                #expect(error.description.contains("\(dead): cannot connect"))
                #expect(
                    error.description.contains("\(dropping.address): the connection closed before a channel was open"))
            }
            #expect(try await bed.client.channels().isEmpty)
            await #expect(throws: ChannelTCPError.self) {
                try await ChannelTCPClient.open(value: Self.sats(400_000), servers: [], clientManager: bed.client)
            }
            try await dropping.listener.close()
            await bed.shutdown()
        }

        @Test(
            "a silent address is passed over after the reply timeout (or, with none, the handshake timeout)",
            arguments: [
                ChannelTCPClient.Configuration(handshakeTimeout: .seconds(30), replyTimeout: .milliseconds(300)),
                ChannelTCPClient.Configuration(handshakeTimeout: .milliseconds(300), replyTimeout: nil),
            ])
        func silentPassedOver(configuration: ChannelTCPClient.Configuration) async throws {
            let bed = try await TCPTestbed()
            let silent = try await FailoverAddresses.silent()
            let started = ContinuousClock.now
            let served = try await ChannelTCPClient.open(
                value: Self.sats(400_000), servers: [silent.address, bed.address], clientManager: bed.client,
                configuration: configuration)
            #expect(ContinuousClock.now - started < .seconds(20))
            #expect(served.address == bed.address)
            #expect(!served.channel.resumed)
            #expect(served.failedAttempts.map(\.address) == [silent.address])
            switch served.failedAttempts.first?.error {
            case .session(.ended(.localError(let error))):
                #expect(configuration.replyTimeout != nil && error.code == .timeout)
            case .session(.ended(.connectionClosed)):
                #expect(configuration.replyTimeout == nil)
            default:
                Issue.record("unexpected \(served.failedAttempts)")
            }
            try await served.session.pay(Self.sats(1_000))
            #expect(try await bed.client.channels().count == 1)
            try await silent.listener.close()
            await bed.shutdown()
        }

        @Test("a server that answers ERROR is not passed over for the next address")
        func remoteErrorEndsTheAttempts() async throws {
            // The client asks for protocol 1; a server that speaks only 2 answers with ERROR.
            let bed = try await TCPTestbed(selector: .v1)
            let newServer = try await TCPTestbed(versions: [.v2])
            do {
                let served = try await ChannelTCPClient.open(
                    value: Self.sats(400_000), servers: [newServer.address, bed.address], clientManager: bed.client)
                Issue.record("open should fail, yet \(served.address) served")
            } catch {
                guard case .session(.ended(.remoteError(let code, _))) = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
                #expect(code == .noAcceptableVersion)
            }
            #expect(try await bed.client.channels().isEmpty)
            await newServer.shutdown()
            await bed.shutdown()
        }
    }
}
