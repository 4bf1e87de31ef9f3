import Foundation
import PaychanTestSupport

/// Debian's HAProxy as a TCP load balancer on 127.0.0.1, run in the foreground (`-db`) as a
/// child process from a configuration written to a scratch directory: one frontend on a free
/// port, every backend given checked every 100 ms, and a connection whose backend refuses it
/// retried on another. Stopped (SIGTERM) when dropped.
final class HAProxyBalancer {
    /// The `haproxy` binary, or nil when it is not installed.
    static let binary: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/local/sbin", "/sbin"]
        return directories.map { $0 + "/haproxy" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    let process = Process()
    /// The frontend's port.
    let port: Int
    private let logFile: String

    /// Starts HAProxy with `backends` (ports on 127.0.0.1, listened on or not) and waits until
    /// its frontend accepts connections.
    init(binary: String, directory: String, backends: [Int]) throws {
        port = try LoopbackPort.belowEphemeralRange()
        let configFile = directory + "/haproxy.cfg"
        logFile = directory + "/haproxy.log"
        try Self.configuration(frontend: port, backends: backends).write(
            toFile: configFile, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-f", configFile, "-db"]
        process.standardOutput = FileHandle(forWritingAtPath: logFile)
        process.standardError = FileHandle(forWritingAtPath: logFile)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        for _ in 0..<200 {
            if LoopbackPort.accepts(port) { return }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        stop()
        throw CocoaError(
            .executableLoad, userInfo: [NSLocalizedDescriptionKey: "haproxy did not come up: \(log)"])
    }

    var address: String { "127.0.0.1:\(port)" }

    /// What HAProxy said so far.
    var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// Waits up to 10 s until HAProxy's health checks find backend `node` (1-based, in the order
    /// given) up, as it logs; whether they did.
    func waitUntilUp(node: Int) -> Bool {
        for _ in 0..<200 {
            if log.contains("Server nodes/node\(node) is UP") { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    deinit { stop() }

    /// Plain TCP (the channel protocol is opaque to it), client and server timeouts far longer
    /// than any test, connection attempts that give up quickly on a dead backend, and each
    /// refused connection retried on another backend (`option redispatch 1`).
    static func configuration(frontend: Int, backends: [Int]) -> String {
        let servers = backends.enumerated().map { index, port in
            "    server node\(index + 1) 127.0.0.1:\(port) check inter 100ms fall 1 rise 1"
        }
        return
            ([
                "global",
                "    maxconn 256",
                "defaults",
                "    mode tcp",
                "    timeout connect 250ms",
                "    timeout client 10m",
                "    timeout server 10m",
                "    timeout check 1s",
                "    retries 3",
                "    option redispatch 1",
                "frontend paychan",
                "    bind 127.0.0.1:\(frontend)",
                "    default_backend nodes",
                "backend nodes",
                "    balance roundrobin",
            ] + servers).joined(separator: "\n") + "\n"
    }
}
