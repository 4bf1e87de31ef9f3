import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import ChannelTCP
import PaychanTLSTestSupport
import Testing

extension ChannelTCPSuite {
    @Suite("Channels over TLS")
    struct TLSEndToEndTests {
        static let sats = TCPTestbed.sats

        enum Verification: String, CaseIterable {
            case caSigned = "a CA-signed certificate"
            case pinnedSelfSigned = "a pinned self-signed certificate"
        }

        @Test("open, pay, reopen and close over TLS", arguments: Verification.allCases)
        func openPayReopenClose(verification: Verification) async throws {
            let certificates = try TestCertificates()
            let issued = verification == .caSigned ? certificates.server : certificates.selfSignedServer
            let tls =
                verification == .caSigned
                ? try ClientTLSConfiguration.trusting(certificates.authority) : try .pinning(issued)
            let idle = ChannelTCPServer.Configuration(handshakeTimeout: .seconds(10), idleTimeout: .seconds(2))
            let bed = try await TCPTestbed(tls: issued, tcp: idle)

            let first = try await bed.connect(tls: tls)
            #expect(first.serverID == TCPTestbed.serverID + ChannelTCPClient.tlsMarker + tls.identity)
            let opened = try await first.open(value: Self.sats(500_000))
            #expect(!opened.resumed)
            for _ in 0..<20 { try await first.pay(Self.sats(1_000)) }
            // Nothing more is sent: the server closes the idle connection; the channel stays.
            await first.waitUntilEnded()

            let second = try await bed.connect(tls: tls)
            let reopened = try await second.open(value: Self.sats(500_000))
            #expect(reopened.resumed)
            #expect(reopened.contractTxid == opened.contractTxid)
            #expect(reopened.valueLeft == Self.sats(500_000 - 1_000 - 20_000))
            try await second.pay(Self.sats(5_000))
            let settlement = try #require(try await second.close())
            bed.chain.mine()
            #expect(bed.chain.transactionStatus(of: settlement.txid) == .confirmed(confirmations: 1))
            let record = try #require(try await bed.serverStore.serverChannel(contractTxid: opened.contractTxid))
            #expect(record.state == .settled)
            #expect(record.bestValueToServer == Self.sats(26_000))
            await bed.shutdown()
        }

        @Test("a channel opened over TLS is not offered over plain TCP, nor to another TLS identity")
        func channelsBoundToIdentity() async throws {
            let certificates = try TestCertificates()
            let idle = ChannelTCPServer.Configuration(handshakeTimeout: .seconds(10), idleTimeout: .seconds(2))
            let bed = try await TCPTestbed(tls: certificates.server, tcp: idle, coins: 3)
            let caVerified = try ClientTLSConfiguration.trusting(certificates.authority)
            let tlsSession = try await bed.connect(tls: caVerified)
            let overTLS = try await tlsSession.open(value: Self.sats(400_000))
            await tlsSession.waitUntilEnded()

            // The same server manager (same store) on a plain listener, named the same: the
            // TLS channel is not offered, a new one is opened.
            let (plainAddress, plainListener) = try await bed.secondListener()
            let plain = try await ChannelTCPClient.connect(
                host: plainAddress.host, port: plainAddress.port, clientManager: bed.client,
                serverID: TCPTestbed.serverID)
            let overPlain = try await plain.open(value: Self.sats(300_000))
            #expect(!overPlain.resumed)
            #expect(overPlain.contractTxid != overTLS.contractTxid)
            #expect(
                try await bed.client.channels(serverID: TCPTestbed.serverID).map(\.contractTxid) == [
                    overPlain.contractTxid
                ])

            // Naming the TLS identity on a plain connection is refused before connecting.
            await #expect(throws: ChannelTCPError.self) {
                _ = try await ChannelTCPClient.connect(
                    host: plainAddress.host, port: plainAddress.port, clientManager: bed.client,
                    serverID: tlsSession.serverID)
            }

            // The same certificate pinned is another identity: neither channel is offered.
            let pinned = try await bed.connect(tls: try .pinning(certificates.server))
            let overPin = try await pinned.open(value: Self.sats(200_000))
            #expect(!overPin.resumed)
            #expect(Set([overTLS.contractTxid, overPlain.contractTxid]).contains(overPin.contractTxid) == false)

            // The CA-verified identity still reopens its own channel.
            await pinned.waitUntilEnded()
            let again = try await bed.connect(tls: caVerified)
            let reopened = try await again.open(value: Self.sats(400_000))
            #expect(reopened.resumed)
            #expect(reopened.contractTxid == overTLS.contractTxid)
            await plainListener.stop()
            await bed.shutdown()
        }
    }
}
