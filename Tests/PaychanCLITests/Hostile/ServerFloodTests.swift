import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Foundation
import PaychanTestSupport
import Synchronization
import Testing

extension ServerHostileTests {
    @Test("a flood of CLIENT_VERSIONs: the first is answered, the second gets SYNTAX_ERROR, the rest are not read")
    func clientVersionFlood() async throws {
        let bed = try await Bed()
        let frame = RawPeer.frame(ChannelMessage.clientVersion(ClientVersion(major: 2)).encoded())
        let flood = Array([[UInt8]](repeating: frame, count: 2_000).joined())
        let (peers, load) = try await bed.during {
            var peers: [RawPeer] = []
            for _ in 0..<20 {
                let peer = try await RawPeer.connect(port: bed.server.port)
                try? await peer.send(flood)  // the server may hang up before it is all written
                peers.append(peer)
            }
            for peer in peers { #expect(await peer.closed(within: .seconds(10))) }
            return peers
        }
        for peer in peers {
            let received = await peer.messages(atLeast: 3, within: .zero)
            #expect(received.types == [.serverVersion, .initiate, .error], "\(received.types)")
            #expect(received.errorCode == .syntaxError)
        }
        await expectServed(load, quiet: bed.quiet, client: bed.honest, during: "20 connections × 2000 CLIENT_VERSIONs")
        await bed.finish()
    }

    @Test("clients that open channels and never fund them are closed at the handshake timeout; nothing is stored")
    func neverFunded() async throws {
        let bed = try await Bed(handshakeTimeout: 3)
        let key = HostileMessages.key
        let (peers, load) = try await bed.during {
            try await withThrowingTaskGroup(of: (Int32, [ChannelMessage], Bool).self) { group in
                for index in 0..<200 {
                    let major: Int32 = index % 2 == 0 ? 2 : 1
                    group.addTask {
                        let peer = try await RawPeer.connect(port: bed.server.port)
                        try await peer.send(.clientVersion(ClientVersion(major: major)))
                        let offer = await peer.messages(atLeast: 2)
                        if major == 1, case .initiate(let initiate)? = offer.last {
                            // Version 1: have the refund signed, then never hand over a contract.
                            let refund = Transaction(
                                inputs: [
                                    TransactionInput(
                                        previousOutput: OutPoint(txid: HostileMessages.someTxid, index: 0),
                                        sequence: 0)
                                ],
                                outputs: [
                                    TransactionOutput(
                                        value: try Amount(satoshis: 900_000),
                                        scriptPubKey: Script.p2pkh(publicKey: key.publicKey))
                                ],
                                lockTime: UInt32(clamping: initiate.expireTimeSecs))
                            try await peer.send(
                                .provideRefund(ProvideRefund(multisigKey: key.publicKey, tx: WireTransaction(refund))))
                        }
                        let closed = await peer.closed(within: .seconds(15))
                        return (major, await peer.messages(atLeast: 0, within: .zero), closed)
                    }
                }
                var peers: [(Int32, [ChannelMessage], Bool)] = []
                for try await peer in group { peers.append(peer) }
                return peers
            }
        }
        #expect(peers.count == 200)
        for (major, received, closed) in peers {
            #expect(closed)
            let expected: [MessageType] =
                major == 1 ? [.serverVersion, .initiate, .returnRefund] : [.serverVersion, .initiate]
            #expect(received.types == expected, "v\(major): \(received.types)")
        }
        await expectServed(load, quiet: bed.quiet, client: bed.honest, during: "200 never-funded opens")
        // Four honest channels, two more if the quiet rate was measured again.
        let honestChannels = try await bed.honest.storedChannelCount()
        #expect(honestChannels >= 4)
        #expect(try bed.server.storedChannels().count == honestChannels, "only the honest channels are stored")
        await bed.finish()
    }

    @Test("2,000 idle connections at once: honest clients keep paying; the server's descriptors return after")
    func thousandsOfConnections() async throws {
        let count = ProcessInfo.processInfo.environment["PAYCHAN_HOSTILE_CONNECTIONS"].flatMap(Int.init) ?? 2_000
        let bed = try await Bed(handshakeTimeout: 60)
        // The burst: honest payments go on while the test process (sharing the machine's two
        // cores) opens them all.
        let (peers, burst) = try await bed.during {
            let peers = try await withThrowingTaskGroup(of: [RawPeer].self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        var peers: [RawPeer] = []
                        for _ in 0..<(count / 8) { peers.append(try await RawPeer.connect(port: bed.server.port)) }
                        return peers
                    }
                }
                var all: [RawPeer] = []
                for try await batch in group { all += batch }
                return all
            }
            // All held open at once (plus the listener and the honest connections).
            let deadline = ContinuousClock.now + .seconds(20)
            while bed.server.openSockets < count + 1, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            return peers
        }
        #expect(peers.count == count / 8 * 8)
        #expect(bed.server.openSockets >= count + 1, "server sockets: \(bed.server.openSockets)")
        #expect(burst.failures.isEmpty, "honest payments failed during the burst: \(burst.failures)")
        print("honest payments during the burst of \(peers.count) connections: \(Int(burst.rate))/s")
        // Held: the server serves honest clients with all of them open.
        let (_, held) = try await bed.during { try await Task.sleep(for: .seconds(1)) }
        #expect(peers.allSatisfy { !$0.isClosed })
        await expectServed(held, quiet: bed.quiet, client: bed.honest, during: "\(peers.count) idle connections held")
        for peer in peers { await peer.close() }
        await bed.finish()
    }

    @Test("--max-connections: connections beyond it are closed at once; honest clients are served once there is room")
    func connectionLimit() async throws {
        let bed = try await Bed(handshakeTimeout: 60, extraArguments: ["--max-connections", "10"])
        await bed.honest.shutdown()
        try await Task.sleep(for: .milliseconds(200))
        var peers: [RawPeer] = []
        for _ in 0..<10 { peers.append(try await RawPeer.connect(port: bed.server.port)) }
        try await Task.sleep(for: .milliseconds(200))
        let extra = try await RawPeer.connect(port: bed.server.port)
        #expect(await extra.closed(within: .seconds(5)))
        #expect(peers.allSatisfy { !$0.isClosed })
        for peer in peers { await peer.close() }
        // A new client is served once the hostile connections are gone.
        let honest = try await HonestClient(port: bed.server.port, coins: 1)
        let (session, opened) = try await honest.openSession()
        #expect(!opened.resumed)
        let receipt = try await session.pay(Amount(satoshis: 1_000))
        #expect(receipt.amount == (try Amount(satoshis: 1_000)))
        await honest.shutdown()
        #expect(await bed.server.socketsReturn(to: bed.baseline))
    }
}
