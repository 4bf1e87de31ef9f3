import Foundation
import PaychanTLSTestSupport
import PaychanTestSupport
import Testing

@Suite("paychan server --tls-cert and paychan client --tls as real processes", .onDedicatedThreads, .serialized)
struct TLSCommandTests {
    /// Channels listed by `paychan channels` on the client's directory.
    static func clientChannels(_ directory: String) throws -> [[String: Any]] {
        try PaychanProcess.run(["channels", "--dir", directory, "--json"]).json()["client"] as? [[String: Any]] ?? []
    }

    @Test("CA-verified and pinned: open, pay, reopen, close")
    func endToEnd() throws {
        let scratch = try ScratchDirectory()
        let certificates = try TestCertificates()
        let files = try certificates.write(to: scratch.path)
        let caSigned = try #require(files["server"])
        let server = try RunningServer(
            directory: scratch.path + "/server",
            extraArguments: ["--tls-cert", caSigned.certificate, "--tls-key", caSigned.privateKey])
        defer { server.stop() }
        let clientDir = scratch.path + "/client"
        let common = ["client", "--server", server.address, "--dir", clientDir, "--channel-value", "300000"]
        let caVerified = ["--tls", "--tls-ca", try #require(files["ca"]).certificate, "--tls-server-name", "localhost"]

        let first = try PaychanProcess.run(common + caVerified + ["--payments", "5", "--amount", "2000", "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let opened = try first.json()
        #expect(opened["reopened"] as? Bool == false)
        #expect(opened["run_acked_sats"] as? Int == 11_000)
        let pin = Data(certificates.server.publicKeySHA256).base64EncodedString()
        #expect(server.log.contains("--tls-pin \(pin)"))

        let second = try PaychanProcess.run(
            common + caVerified + ["--payments", "3", "--amount", "1000", "--close", "--json"])
        #expect(second.status == 0, "\(second.stderr)")
        let closed = try second.json()
        #expect(closed["reopened"] as? Bool == true)
        #expect(closed["contract_txid"] as? String == opened["contract_txid"] as? String)
        #expect(closed["channel_signed_sats"] as? Int == 14_000)
        #expect(closed["settlement"] is [String: Any])

        // The same server's key pinned: the client verifies it without a CA.
        let pinned = try PaychanProcess.run(
            common + ["--tls", "--tls-pin", pin, "--payments", "2", "--amount", "1000", "--json"])
        #expect(pinned.status == 0, "\(pinned.stderr)")
        #expect(try pinned.json()["reopened"] as? Bool == false)
        let reopenedPinned = try PaychanProcess.run(
            common + ["--tls", "--tls-pin", pin, "--payments", "1", "--amount", "1000", "--close", "--json"])
        #expect(reopenedPinned.status == 0, "\(reopenedPinned.stderr)")
        #expect(try reopenedPinned.json()["reopened"] as? Bool == true)
        #expect(try reopenedPinned.json()["channel_signed_sats"] as? Int == 4_000)
        let listed = try Self.clientChannels(clientDir)
        #expect(listed.count == 2)
        #expect(listed.allSatisfy { ($0["server_id"] as? String)?.contains(" #tls:") == true })
    }

    @Test("a plain channel is not offered over TLS: a new one is opened, and the client says why")
    func plainChannelNotOfferedOverTLS() throws {
        let scratch = try ScratchDirectory()
        let certificates = try TestCertificates()
        let files = try certificates.write(to: scratch.path)
        let selfSigned = try #require(files["self-signed"])
        let plainServer = try RunningServer(directory: scratch.path + "/server")
        let clientDir = scratch.path + "/client"
        let serverID = ["--server-id", "pay.test"]
        let common = ["client", "--dir", clientDir, "--channel-value", "200000", "--amount", "1000", "--json"]
        let plain = try PaychanProcess.run(common + serverID + ["--server", plainServer.address])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plainServer.stop() == 0)

        // The same server directory (its channels) behind TLS now.
        let tlsServer = try RunningServer(
            directory: scratch.path + "/server",
            extraArguments: ["--tls-cert", selfSigned.certificate, "--tls-key", selfSigned.privateKey])
        defer { tlsServer.stop() }
        let pin = Data(certificates.selfSignedServer.publicKeySHA256).base64EncodedString()
        let overTLS = try PaychanProcess.run(
            common + serverID + ["--server", tlsServer.address, "--tls", "--tls-pin", pin])
        #expect(overTLS.status == 0, "\(overTLS.stderr)")
        #expect(try overTLS.json()["reopened"] as? Bool == false)
        #expect(overTLS.stderr.contains("1 open channel(s) with pay.test were opened over plain TCP"))
        #expect(try Self.clientChannels(clientDir).count == 2)
    }

    @Test(
        "refusals exit 2 and leave the client's store empty: wrong pin, expired, TLS client on a plain port, plain client on the TLS port"
    )
    func refusals() throws {
        let scratch = try ScratchDirectory()
        let certificates = try TestCertificates()
        let files = try certificates.write(to: scratch.path)
        let expired = try #require(files["expired"])
        let ca = try #require(files["ca"]).certificate
        let tlsServer = try RunningServer(
            directory: scratch.path + "/tls-server",
            extraArguments: ["--tls-cert", expired.certificate, "--tls-key", expired.privateKey])
        defer { tlsServer.stop() }
        let plainServer = try RunningServer(directory: scratch.path + "/plain-server")
        defer { plainServer.stop() }
        let clientDir = scratch.path + "/client"
        let common = ["client", "--dir", clientDir, "--channel-value", "200000", "--amount", "1000"]
        let wrongPin = Data(certificates.selfSignedServer.publicKeySHA256).base64EncodedString()
        let cases: [(String, [String], String)] = [
            ("wrong pin", ["--server", tlsServer.address, "--tls", "--tls-pin", wrongPin], "not the pinned one"),
            (
                "expired", ["--server", tlsServer.address, "--tls", "--tls-ca", ca, "--tls-server-name", "localhost"],
                "did not verify"
            ),
            ("TLS on a plain port", ["--server", plainServer.address, "--tls", "--tls-ca", ca], "TLS failed"),
            ("plain on the TLS port", ["--server", tlsServer.address], "cannot reach"),
        ]
        for (name, arguments, message) in cases {
            let started = Date()
            let run = try PaychanProcess.run(common + arguments)
            #expect(run.status == 2, "\(name): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(name): \(run.stderr)")
            #expect(Date().timeIntervalSince(started) < 30, "\(name)")
            #expect(try Self.clientChannels(clientDir).isEmpty, "\(name)")
        }
        let channels = try PaychanProcess.run(["channels", "--dir", scratch.path + "/tls-server", "--json"]).json()
        #expect((channels["server"] as? [Any])?.isEmpty == true)
        let badPin = try PaychanProcess.run(common + ["--server", tlsServer.address, "--tls", "--tls-pin", "abc"])
        #expect(badPin.status == 1, "\(badPin.stderr)")
        let pinWithoutTLS = try PaychanProcess.run(common + ["--server", tlsServer.address, "--tls-pin", wrongPin])
        #expect(pinWithoutTLS.status == 1 && pinWithoutTLS.stderr.contains("--tls-pin needs --tls"))
    }
}
