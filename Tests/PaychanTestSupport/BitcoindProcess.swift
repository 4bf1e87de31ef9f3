import Foundation
import Synchronization

/// A `bitcoind -regtest` started for a test: its own temporary data directory, RPC on a free
/// loopback port, no P2P listening, no outbound connections. Tests that need a real node run
/// when the environment variable `PAYCHAN_BITCOIND` names the binary and skip otherwise.
public final class BitcoindProcess: Sendable {
    /// Why the node could not be started.
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The binary `PAYCHAN_BITCOIND` names, if it is set and executable.
    public static var binaryFromEnvironment: String? {
        guard let path = ProcessInfo.processInfo.environment["PAYCHAN_BITCOIND"], !path.isEmpty,
            FileManager.default.isExecutableFile(atPath: path)
        else { return nil }
        return path
    }

    /// The binary.
    public let binary: String
    /// The data directory (removed by ``stop()``).
    public let dataDirectory: String
    /// The RPC port on 127.0.0.1.
    public let rpcPort: Int
    /// Arguments added to the defaults.
    public let extraArguments: [String]
    /// The running child's process id.
    private let child = Mutex<pid_t?>(nil)

    /// The RPC URL, `http://127.0.0.1:PORT`.
    public var rpcURL: String { "http://127.0.0.1:\(rpcPort)" }
    /// The cookie file the node writes at each start.
    public var cookiePath: String { dataDirectory + "/regtest/.cookie" }

    private init(binary: String, dataDirectory: String, rpcPort: Int, extraArguments: [String]) {
        self.binary = binary
        self.dataDirectory = dataDirectory
        self.rpcPort = rpcPort
        self.extraArguments = extraArguments
    }

    /// Starts a node on a new data directory and waits for its cookie file. A free port can be
    /// taken by someone else before the node binds it: then it starts again on another.
    public static func start(binary: String, extraArguments: [String] = []) async throws -> BitcoindProcess {
        var attempt = 1
        while true {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "paychan-bitcoind-\(UUID().uuidString)"
            ).path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let node = BitcoindProcess(
                binary: binary, dataDirectory: directory, rpcPort: try freeLoopbackPort(),
                extraArguments: extraArguments)
            do {
                try await node.launch()
                return node
            } catch {
                let portTaken = node.debugLogTail(lines: 50).contains("Unable to bind")
                await node.stop()
                guard portTaken, attempt < 5 else { throw error }
                attempt += 1
            }
        }
    }

    /// The arguments the node runs with.
    public var arguments: [String] {
        [
            "-regtest", "-datadir=\(dataDirectory)", "-server", "-listen=0", "-connect=0", "-dnsseed=0",
            "-rpcbind=127.0.0.1", "-rpcallowip=127.0.0.1", "-rpcport=\(rpcPort)", "-fallbackfee=0.0002",
            "-printtoconsole=0", "-rpcservertimeout=30",
        ] + extraArguments
    }

    /// Starts the binary (again, after ``terminate()``) and waits until it writes its cookie.
    public func launch() async throws {
        try? FileManager.default.removeItem(atPath: cookiePath)
        let pid = try Self.spawn(binary, arguments)
        child.withLock { $0 = pid }
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: cookiePath) {
            if let status = Self.exitStatus(pid) {
                child.withLock { $0 = nil }
                throw StartError(description: "bitcoind exited with \(status): \(debugLogTail())")
            }
            guard Date() < deadline else {
                await terminate()
                throw StartError(description: "bitcoind wrote no cookie in 60 s: \(debugLogTail())")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Stops the node (SIGTERM: Core flushes its chain state and exits; SIGKILL after 60 s)
    /// and keeps its data directory.
    public func terminate() async {
        guard let pid = child.withLock({ $0 }) else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(60)
        while Self.exitStatus(pid) == nil {
            guard Date() < deadline else {
                kill(pid, SIGKILL)
                _ = Self.waitForExit(pid)
                break
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        child.withLock { $0 = nil }
    }

    /// Spawns `binary` with output to /dev/null and a clean signal mask. Foundation's `Process`
    /// passes on the mask of the thread that starts it, which in a test runner blocks SIGTERM;
    /// bitcoind does not unblock it, and would then ignore the request to stop.
    private static func spawn(_ binary: String, _ arguments: [String]) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var files = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&files)
        defer { posix_spawn_file_actions_destroy(&files) }
        posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&files, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&files, 2, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([binary] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, binary, &files, &attributes, argv, environ)
        guard result == 0 else { throw StartError(description: "cannot start \(binary): error \(result)") }
        return pid
    }

    /// The exit status of `pid` if it has exited (reaping it), nil while it runs.
    private static func exitStatus(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        let reaped = waitpid(pid, &status, WNOHANG)
        if reaped == 0 { return nil }
        return reaped == pid ? status : -1
    }

    private static func waitForExit(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        return status
    }

    /// Stops the node and removes its data directory.
    public func stop() async {
        await terminate()
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }

    /// The last lines of the node's debug.log, for error messages.
    public func debugLogTail(lines: Int = 15) -> String {
        guard let text = try? String(contentsOfFile: dataDirectory + "/regtest/debug.log", encoding: .utf8) else {
            return "(no debug.log)"
        }
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    /// A TCP port on 127.0.0.1 free at the time of the call, below the ephemeral range (a node
    /// stopped and started again listens on the same ports; see ``LoopbackPort``).
    public static func freeLoopbackPort() throws -> Int { try LoopbackPort.belowEphemeralRange() }
}
