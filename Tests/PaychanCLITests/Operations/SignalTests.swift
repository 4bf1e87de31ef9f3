import Foundation
import PaychanTestSupport
import Testing

/// `paychan server`'s signals when its shutdown cannot finish (another process holds its store's
/// write lock, so the shutdown's last commit waits, for up to the store's 5 s busy timeout): a
/// second signal exits at once, and without one the process still exits once the grace period is
/// over. Times are read from the server's own JSON log (milliseconds), so that what is measured
/// is the server's reaction, not how soon this busy test process notices its child's exit.
@Suite(
    "paychan server: a second signal, and a shutdown that overruns its grace period", .onDedicatedThreads, .serialized)
struct SignalTests {
    /// A server whose store is locked, sent SIGTERM: returns once it says it is stopping.
    private static func stuckStopping(_ scratch: ScratchDirectory, grace: String) async throws -> (
        RunningServer, StoreLock
    ) {
        let server = try RunningServer(
            directory: scratch.path + "/server", extraArguments: ["--shutdown-grace", grace, "--log-format", "json"])
        let lock = try StoreLock(database: server.directory + "/channels.sqlite")
        kill(server.process.processIdentifier, SIGTERM)
        let signalled = ContinuousClock.now
        while loggedAt(server, "second SIGTERM or SIGINT exits at once") == nil,
            ContinuousClock.now - signalled < .seconds(4)
        {
            try await Task.sleep(for: .milliseconds(2))
        }
        #expect(loggedAt(server, "second SIGTERM or SIGINT exits at once") != nil, "\(server.log)")
        return (server, lock)
    }

    /// When the server logged the first line containing `text`.
    private static func loggedAt(_ server: RunningServer, _ text: String) -> Date? {
        for line in server.log.split(separator: "\n") where line.contains(text) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let time = object["time"] as? String
            else { continue }
            return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(time)
        }
        return nil
    }

    private static func waitForExit(_ server: RunningServer) async throws {
        while server.process.isRunning { try await Task.sleep(for: .milliseconds(2)) }
    }

    @Test("a second SIGTERM exits at once with status 130", .enabled(if: StoreLock.available))
    func secondSignal() async throws {
        // The shutdown waits for the locked store for up to its 5 s busy timeout; a test process
        // starved of CPU for longer (a full parallel run on 2 cores) finds the server already
        // stopped, and tries again.
        var attempt = 0
        var stuck: (RunningServer, StoreLock, ScratchDirectory)?
        while stuck == nil, attempt < 3 {
            attempt += 1
            let scratch = try ScratchDirectory()
            let (server, lock) = try await Self.stuckStopping(scratch, grace: "30")
            if server.process.isRunning {
                stuck = (server, lock, scratch)
            } else {
                lock.release()
                print("the server finished stopping before the second signal could be sent (attempt \(attempt))")
            }
        }
        let (server, lock, _) = try #require(stuck, "the shutdown was never seen waiting for the locked store")
        defer { lock.release() }
        let sent = Date()
        kill(server.process.processIdentifier, SIGTERM)
        try await Self.waitForExit(server)
        #expect(server.process.terminationStatus == 130)
        let exiting = try #require(Self.loggedAt(server, "second signal: exiting at once"), "\(server.log)")
        #expect(exiting.timeIntervalSince(sent) < 1, "the server exited \(exiting.timeIntervalSince(sent)) s after")
        #expect(!server.log.contains("\"message\":\"stopped\""))
    }

    @Test(
        "a shutdown that overruns --shutdown-grace exits 1 two seconds after it", .enabled(if: StoreLock.available))
    func graceOverrun() async throws {
        let scratch = try ScratchDirectory()
        let (server, lock) = try await Self.stuckStopping(scratch, grace: "1")
        defer { lock.release() }
        try await Self.waitForExit(server)
        #expect(server.process.terminationStatus == 1)
        let stopping = try #require(Self.loggedAt(server, "second SIGTERM or SIGINT exits at once"))
        let gaveUp = try #require(Self.loggedAt(server, "shutdown took longer than"), "\(server.log)")
        let took = gaveUp.timeIntervalSince(stopping)
        // Read from the server's own log; a CPU-starved machine may delay it a little.
        #expect(took >= 3 && took < 5, "gave up \(took) s after the signal")
    }
}
