import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Foundation
import PaychanTestSupport
import Testing

/// Hostile peers against the real `paychan server` process (issue 7): for each, the answer the
/// protocol gives, the server freeing what the peer held (its descriptors back to where they
/// were), and honest clients paying meanwhile.
@Suite("paychan server against hostile peers", .onDedicatedThreads, .serialized)
struct ServerHostileTests {
    /// A server, its descriptor count at rest, an honest client and its quiet payment rate.
    struct Bed: Sendable {
        let server: HostileServer
        let baseline: Int
        let honest: HonestClient
        let quiet: HonestLoad

        /// - Parameter handshakeTimeout: short where the timeout is what ends the hostile peers
        ///   (honest opens must fit in it even on a loaded machine), long elsewhere.
        init(handshakeTimeout: Double = 60, extraArguments: [String] = []) async throws {
            server = try HostileServer(handshakeTimeout: handshakeTimeout, extraArguments: extraArguments)
            baseline = server.openSockets
            honest = try await HonestClient(port: server.port, coins: 8)
            do { quiet = try await HonestLoad.quiet(honest) } catch {
                Issue.record("the quiet load failed: \(error); the server said: \(server.server.log.suffix(3_000))")
                throw error
            }
        }

        /// Honest payments while `body` runs (see ``HonestLoad/during(_:sessions:minimum:_:)``);
        /// a failure comes with the server's log.
        func during<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> (T, HonestLoad) {
            do { return try await HonestLoad.during(honest, body) } catch {
                Issue.record("\(error); the server said: \(server.server.log.suffix(3_000))")
                throw error
            }
        }

        /// Ends the honest client's connections and checks that the server holds no more
        /// sockets than it did before any peer came.
        func finish() async {
            await honest.shutdown()
            let returned = await server.socketsReturn(to: baseline)
            #expect(returned, "server descriptors: \(server.descriptorListing), baseline \(baseline) sockets")
        }
    }

    @Test("a peer that sends nothing is closed at the handshake timeout, having received nothing")
    func silentPeers() async throws {
        let bed = try await Bed(handshakeTimeout: 3)
        let (peers, load) = try await bed.during {
            var peers: [RawPeer] = []
            for _ in 0..<20 { peers.append(try await RawPeer.connect(port: bed.server.port)) }
            for peer in peers { #expect(await peer.closed(within: .seconds(10))) }
            return peers
        }
        #expect(peers.allSatisfy { $0.received.isEmpty })
        await expectServed(load, quiet: bed.quiet, client: bed.honest, during: "20 silent peers")
        await bed.finish()
    }

    @Test("a peer that sends a frame one byte at a time forever is closed at the handshake timeout")
    func tricklingPeers() async throws {
        let bed = try await Bed(handshakeTimeout: 3)
        let version = RawPeer.frame(ChannelMessage.clientVersion(ClientVersion(major: 2)).encoded())
        let endless = RawPeer.prefix(32767) + [UInt8](repeating: 0x08, count: 32766)
        // A valid CLIENT_VERSION (answered), then the largest frame allowed, never finished; and
        // that frame alone.
        let streams: [([UInt8], [MessageType])] = [(version + endless, [.serverVersion, .initiate]), (endless, [])]
        let (elapsed, load) = try await bed.during {
            try await withThrowingTaskGroup(of: Duration.self) { group in
                for (stream, answers) in streams {
                    group.addTask {
                        let peer = try await RawPeer.connect(port: bed.server.port)
                        let start = ContinuousClock.now
                        var sent = 0
                        // One byte every 50 ms until the server hangs up (the stream lasts 27 min).
                        while !peer.isClosed, sent < stream.count, ContinuousClock.now - start < .seconds(20) {
                            try? await peer.send([stream[sent]])
                            sent += 1
                            try await Task.sleep(for: .milliseconds(50))
                        }
                        #expect(peer.isClosed)
                        #expect(await peer.messages(atLeast: 0, within: .zero).types == answers)
                        return ContinuousClock.now - start
                    }
                }
                var times: [Duration] = []
                for try await time in group { times.append(time) }
                return times
            }
        }
        for time in elapsed {
            // Held for the handshake timeout (3 s), then closed though bytes kept coming.
            #expect(time >= .seconds(2.5) && time < .seconds(10), "closed after \(time)")
        }
        await expectServed(load, quiet: bed.quiet, client: bed.honest, during: "2 trickling peers")
        await bed.finish()
    }

    @Test("length prefixes over 32767 or negative close the connection before any body is read")
    func badLengthPrefixes() async throws {
        // A long handshake timeout: what closes these peers is the prefix, not the timer.
        let bed = try await Bed(handshakeTimeout: 60)
        let prefixes: [UInt32] = [32768, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0xFFFF_8000]
        let (peers, load) = try await bed.during {
            var peers: [RawPeer] = []
            for prefix in prefixes {
                let peer = try await RawPeer.connect(port: bed.server.port)
                try await peer.send(RawPeer.prefix(prefix))
                peers.append(peer)
            }
            for peer in peers { #expect(await peer.closed(within: .seconds(5))) }
            return peers
        }
        for (prefix, peer) in zip(prefixes, peers) {
            #expect(peer.isClosed, "prefix \(prefix)")
            #expect(peer.received.isEmpty, "prefix \(prefix): no answer, just a close")
        }
        await expectServed(load, quiet: bed.quiet, client: bed.honest, during: "bad length prefixes")
        await bed.finish()
    }

    @Test("frames of length 0 and 32767 with garbage, and garbage bodies, get ERROR SYNTAX_ERROR and a close")
    func garbageBodies() async throws {
        let bed = try await Bed(handshakeTimeout: 60)
        var generator = SplitMix64(state: 7)
        var bodies: [[UInt8]] = [
            [],  // length 0
            [UInt8](repeating: 0xFF, count: 32767),  // the largest body, all garbage
            [0x08, 0x63],  // type 99
            [0x08, 0x01],  // CLIENT_VERSION without its payload
            [0x08, 0x01, 0x12, 0x05, 0x08],  // a payload cut short
            [0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],  // an 11-byte varint
        ]
        for _ in 0..<40 {
            let count = Int.random(in: 1...600, using: &generator)
            bodies.append((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
        }
        let frames = bodies
        let (answers, load) = try await bed.during {
            try await withThrowingTaskGroup(of: (Int, [ChannelMessage], Bool).self) { group in
                for (index, body) in frames.enumerated() {
                    group.addTask {
                        let peer = try await RawPeer.connect(port: bed.server.port)
                        try await peer.send(RawPeer.frame(body))
                        let closed = await peer.closed(within: .seconds(10))
                        return (index, await peer.messages(atLeast: 1, within: .zero), closed)
                    }
                }
                var answers: [(Int, [ChannelMessage], Bool)] = []
                for try await answer in group { answers.append(answer) }
                return answers
            }
        }
        #expect(answers.count == bodies.count)
        for (index, messages, closed) in answers {
            #expect(closed, "body \(index)")
            #expect(messages.types == [.error], "body \(index) (\(bodies[index].count) bytes): \(messages)")
            #expect(messages.errorCode == .syntaxError, "body \(index): \(messages)")
        }
        await expectServed(load, quiet: bed.quiet, client: bed.honest, during: "\(bodies.count) garbage bodies")
        await bed.finish()
    }

    @Test(
        "every message type out of order, well-formed or malformed, gets ERROR SYNTAX_ERROR (CLOSE: a CLOSE); an ERROR from the client just closes"
    )
    func messagesOutOfOrder() async throws {
        let bed = try await Bed(handshakeTimeout: 60)
        let version = ChannelMessage.clientVersion(ClientVersion(major: 2))
        // Each case: what the peer sends, the answers expected, and the ERROR's code (none for
        // CLOSE: with no channel to settle the server answers CLOSE and hangs up, as bitcoinj's
        // server ends the connection; PROVIDE_CONTRACT after INITIATE is in order in version 2,
        // and this one's contract is bogus).
        var scripted: [(String, [ChannelMessage], [MessageType], ErrorCode?)] = []
        for (name, message) in HostileMessages.everyType {
            let (answer, code): (MessageType, ErrorCode?) =
                message.type == .close ? (.close, nil) : (.error, .syntaxError)
            scripted.append(("\(name) first", [message], [answer], code))
            let afterVersion: ErrorCode? = message.type == .provideContract ? .badTransaction : code
            scripted.append(
                (
                    "\(name) after CLIENT_VERSION", [version, message], [.serverVersion, .initiate, answer],
                    afterVersion
                ))
        }
        scripted.append(
            ("CLIENT_VERSION twice", [version, version], [.serverVersion, .initiate, .error], .syntaxError))
        scripted.append(
            (
                "PROVIDE_CONTRACT before PROVIDE_REFUND in v1",
                [.clientVersion(ClientVersion(major: 1)), HostileMessages.everyType[4].1],
                [.serverVersion, .initiate, .error], .syntaxError
            ))
        // State before content, as bitcoinj (issue 19): a malformed message out of order is
        // refused as out of order whatever its fields hold, and in order for its fields. The server
        // never reads CLOSE's settlement.
        var framed: [(String, [[UInt8]], [MessageType], ErrorCode?)] = scripted.map {
            ($0.0, $0.1.map { $0.encoded() }, $0.2, $0.3)
        }
        let v1 = ChannelMessage.clientVersion(ClientVersion(major: 1)).encoded()
        for (name, body) in HostileMessages.malformed {
            let (answer, code): (MessageType, ErrorCode?) =
                name.hasPrefix("CLOSE") ? (.close, nil) : (.error, .syntaxError)
            // In order: PROVIDE_CONTRACT after a v2 CLIENT_VERSION, PROVIDE_REFUND after a v1 one
            // (a CLIENT_VERSION first is in order too, and its bad hash is a SYNTAX_ERROR anyway).
            let inV2: ErrorCode? = name.hasPrefix("PROVIDE_CONTRACT") ? .badTransaction : code
            let inV1: ErrorCode? = name.hasPrefix("PROVIDE_REFUND") ? .badTransaction : code
            framed.append(("\(name) first", [body], [answer], code))
            framed.append(
                (
                    "\(name) after CLIENT_VERSION 2", [version.encoded(), body], [.serverVersion, .initiate, answer],
                    inV2
                ))
            framed.append(("\(name) after CLIENT_VERSION 1", [v1, body], [.serverVersion, .initiate, answer], inV1))
        }
        let cases = framed
        let (answers, load) = try await bed.during {
            try await withThrowingTaskGroup(of: (String, [ChannelMessage], [MessageType], ErrorCode?, Bool).self) {
                group in
                for (name, bodies, expected, code) in cases {
                    group.addTask {
                        let peer = try await RawPeer.connect(port: bed.server.port)
                        for body in bodies { try await peer.send(RawPeer.frame(body)) }
                        let closed = await peer.closed(within: .seconds(10))
                        return (name, await peer.messages(atLeast: 0, within: .zero), expected, code, closed)
                    }
                }
                var answers: [(String, [ChannelMessage], [MessageType], ErrorCode?, Bool)] = []
                for try await answer in group { answers.append(answer) }
                return answers
            }
        }
        #expect(answers.count == cases.count)
        for (name, received, expected, code, closed) in answers {
            #expect(closed, "\(name)")
            #expect(received.types == expected, "\(name): \(received.types)")
            #expect(received.errorCode == code, "\(name): \(received)")
        }
        // An ERROR from the client is not answered.
        let quitter = try await RawPeer.connect(port: bed.server.port)
        try await quitter.send(.error(ErrorMessage(code: .other, explanation: "bye")))
        #expect(await quitter.closed(within: .seconds(5)))
        #expect(quitter.received.isEmpty)
        await expectServed(
            load, quiet: bed.quiet, client: bed.honest, during: "\(cases.count) out-of-order conversations")
        // Four honest channels, two more if the quiet rate was measured again.
        let honestChannels = try await bed.honest.storedChannelCount()
        #expect(honestChannels >= 4)
        #expect(try bed.server.storedChannels().count == honestChannels, "only the honest channels are stored")
        await bed.finish()
    }
}
