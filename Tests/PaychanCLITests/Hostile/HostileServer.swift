import Foundation
import Testing

/// A `paychan server --chain memory` with short timeouts, for hostile peers, and what the
/// tests check about it: its open file descriptors and its stored channels. Its properties are
/// set once and only read afterwards (the process handle is thread-safe), hence unchecked.
final class HostileServer: @unchecked Sendable {
    let scratch: ScratchDirectory
    let server: RunningServer

    /// - Parameter handshakeTimeout: seconds a connection has to open a channel.
    init(handshakeTimeout: Double = 2, extraArguments: [String] = []) throws {
        scratch = try ScratchDirectory()
        server = try RunningServer(
            directory: scratch.path + "/server",
            extraArguments: ["--chain", "memory", "--handshake-timeout", "\(handshakeTimeout)"] + extraArguments)
    }

    var port: Int { server.port }
    var pid: Int32 { server.process.processIdentifier }

    /// The server process's open file descriptors (sockets, store, event loops).
    var openDescriptors: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    /// What each open descriptor is (for failure messages).
    var descriptorListing: [String] {
        let directory = "/proc/\(pid)/fd"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return entries.sorted().map {
            $0 + " -> " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + $0)) ?? "?")
        }
    }

    /// The server's open sockets (the listener and one per connection).
    var openSockets: Int {
        let directory = "/proc/\(pid)/fd"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return entries.filter {
            ((try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + $0)) ?? "")
                .hasPrefix("socket:")
        }.count
    }

    /// Waits (up to `limit`) until the server holds at most `baseline` sockets again. (Sockets,
    /// not all descriptors: the store opens reader connections and NIO event loops lazily.)
    func socketsReturn(to baseline: Int, within limit: Duration = .seconds(15)) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while openSockets > baseline, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return openSockets <= baseline
    }

    /// The channels the server stored, from `paychan channels --json` (the server keeps running).
    func storedChannels() throws -> [[String: Any]] {
        let result = try PaychanProcess.run(["channels", "--dir", server.directory, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        return try result.json()["server"] as? [[String: Any]] ?? []
    }

    deinit { server.stop() }
}
