import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import ChannelTCP
import PaychanTLSTestSupport
import Testing

extension ChannelTCPSuite {
    /// Each refusal: the client gets a clear error before it sends anything, opens no channel,
    /// funds and signs nothing, and its store and wallet are as they were; the server stores
    /// nothing and no contract reaches the chain.
    @Suite("TLS refusals")
    struct TLSRefusalTests {
        static let sats = TCPTestbed.sats

        /// Connects with `tls` to `port` (the testbed's TLS listener by default), expects
        /// ``ChannelTCPError/tlsFailed(host:port:reason:)`` and returns its reason, after
        /// checking that nothing changed.
        func expectRefusal(
            _ bed: TCPTestbed, tls: ClientTLSConfiguration, port: Int? = nil, handshakeTimeout: Duration = .seconds(10)
        ) async throws -> String {
            let before = try await bed.clientHoldings()
            var reason = ""
            do {
                let session = try await bed.connect(tls: tls, port: port, handshakeTimeout: handshakeTimeout)
                Issue.record("the connection should be refused")
                _ = try? await session.open(value: Self.sats(300_000))
            } catch {
                guard case .tlsFailed(let host, let failedPort, let why) = error else {
                    Issue.record("unexpected \(error)")
                    return ""
                }
                #expect(host == TCPTestbed.host && failedPort == port ?? bed.port)
                reason = why
            }
            #expect(try await bed.clientHoldings() == before)
            #expect(try await bed.client.channels().isEmpty)
            #expect(try await bed.serverStore.serverChannels(in: Set(ServerChannelRecord.State.allCases)).isEmpty)
            #expect(bed.chain.mempoolTxids.isEmpty)
            return reason
        }

        @Test("a server certificate from another CA is refused")
        func wrongAuthority() async throws {
            let certificates = try TestCertificates()
            let bed = try await TCPTestbed(tls: certificates.server)
            let reason = try await expectRefusal(bed, tls: try .trusting(certificates.otherAuthority))
            #expect(reason.contains("CERTIFICATE_VERIFY_FAILED") || reason.contains("certificate"))
            await bed.shutdown()
        }

        @Test("a certificate for other names is refused")
        func wrongHostName() async throws {
            let certificates = try TestCertificates()
            let bed = try await TCPTestbed(tls: certificates.server)
            let reason = try await expectRefusal(
                bed, tls: try .trusting(certificates.authority, serverName: "pay.elsewhere"))
            #expect(reason.contains("pay.elsewhere"))
            await bed.shutdown()
        }

        @Test("a server key other than the pinned one is refused")
        func wrongPin() async throws {
            let certificates = try TestCertificates()
            let bed = try await TCPTestbed(tls: certificates.selfSignedServer)
            let reason = try await expectRefusal(bed, tls: try .pinning(certificates.server))
            #expect(reason.contains("not the pinned one"))
            await bed.shutdown()
        }

        @Test("an expired certificate is refused")
        func expired() async throws {
            let certificates = try TestCertificates()
            let bed = try await TCPTestbed(tls: certificates.expiredServer)
            let reason = try await expectRefusal(bed, tls: try .trusting(certificates.authority))
            #expect(reason.contains("CERTIFICATE_VERIFY_FAILED") || reason.contains("expired"))
            await bed.shutdown()
        }

        @Test("a self-signed certificate is refused without its pin")
        func selfSignedWithoutPin() async throws {
            let certificates = try TestCertificates()
            let bed = try await TCPTestbed(tls: certificates.selfSignedServer)
            _ = try await expectRefusal(bed, tls: try .trusting(certificates.authority))
            await bed.shutdown()
        }

        @Test("a TLS client on a plain port is refused, and sends the plain server no message")
        func tlsClientOnPlainPort() async throws {
            let certificates = try TestCertificates()
            let bed = try await TCPTestbed()
            let reason = try await expectRefusal(bed, tls: try .trusting(certificates.authority))
            #expect(reason.contains("did not answer in TLS") || reason.contains("during the TLS handshake"))
            await bed.shutdown()
        }

        @Test("a TLS handshake that never finishes fails within the client's handshake timeout")
        func silentServer() async throws {
            let certificates = try TestCertificates()
            let bed = try await TCPTestbed()
            let (address, silent) = try await FailoverAddresses.silent()
            let started = ContinuousClock.now
            let reason = try await expectRefusal(
                bed, tls: try .trusting(certificates.authority), port: address.port,
                handshakeTimeout: .milliseconds(500))
            #expect(reason.contains("did not finish within the handshake timeout"))
            #expect(ContinuousClock.now - started < .seconds(5))
            try await silent.close()
            await bed.shutdown()
        }

        @Test("a plain client on the TLS port opens nothing")
        func plainClientOnTLSPort() async throws {
            let certificates = try TestCertificates()
            let bed = try await TCPTestbed(tls: certificates.server)
            let before = try await bed.clientHoldings()
            let session = try await bed.connect()
            let started = ContinuousClock.now
            do {
                _ = try await session.open(value: Self.sats(300_000))
                Issue.record("a plain open on a TLS port should fail")
            } catch {
                guard case .ended = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
            }
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(try await bed.clientHoldings() == before)
            #expect(try await bed.serverStore.serverChannels(in: Set(ServerChannelRecord.State.allCases)).isEmpty)
            #expect(bed.chain.mempoolTxids.isEmpty)
            try await eventually("the server dropped the connection") { bed.listener.connectionCount == 0 }
            await bed.shutdown()
        }

        @Test("a man in the middle that strips TLS and answers in plain is refused")
        func downgrade() async throws {
            let certificates = try TestCertificates()
            // The real server listens in plain; the proxy in front of it takes the client's
            // connection, ignores its TLS and answers with the server's own plain frames.
            let bed = try await TCPTestbed()
            let proxy = try await DowngradeProxy.start(plainServerPort: bed.port)
            let reason = try await expectRefusal(bed, tls: try .trusting(certificates.authority), port: proxy.port)
            #expect(reason.contains("did not answer in TLS"))
            let fromClient = try #require(proxy.firstBytesFromClient)
            // A TLS handshake record (ClientHello), never a plain frame.
            #expect(fromClient.first == 0x16)
            // The client refused on reading the plain answer (the proxy's write completed first).
            try await eventually("the proxy answered in plain") { proxy.answeredInPlain }
            await proxy.stop()
            await bed.shutdown()
        }
    }
}
