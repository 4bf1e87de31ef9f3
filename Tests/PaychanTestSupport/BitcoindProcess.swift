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
    private let process = Mutex<Process?>(nil)

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

    /// Starts a node on a new data directory and waits for its cookie file.
    public static func start(binary: String, extraArguments: [String] = []) async throws -> BitcoindProcess {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "paychan-bitcoind-\(UUID().uuidString)"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let node = BitcoindProcess(
            binary: binary, dataDirectory: directory, rpcPort: try freeLoopbackPort(),
            extraArguments: extraArguments)
        try await node.launch()
        return node
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
        let child = Process()
        child.executableURL = URL(fileURLWithPath: binary)
        child.arguments = arguments
        let output = FileHandle(forWritingAtPath: "/dev/null")
        child.standardOutput = output
        child.standardError = output
        try child.run()
        process.withLock { $0 = child }
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: cookiePath) {
            guard child.isRunning else {
                throw StartError(description: "bitcoind exited with \(child.terminationStatus): \(debugLogTail())")
            }
            guard Date() < deadline else {
                await terminate()
                throw StartError(description: "bitcoind wrote no cookie in 60 s: \(debugLogTail())")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Stops the node (SIGTERM, then SIGKILL after 30 s) and keeps its data directory.
    public func terminate() async {
        guard let child = process.withLock({ $0 }) else { return }
        if child.isRunning { child.terminate() }
        let deadline = Date().addingTimeInterval(30)
        while child.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if child.isRunning { kill(child.processIdentifier, SIGKILL) }
        child.waitUntilExit()
        process.withLock { $0 = nil }
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

    /// A TCP port on 127.0.0.1 free at the time of the call.
    public static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw StartError(description: "socket: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw StartError(description: "bind: \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw StartError(description: "getsockname: \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
