import Foundation
import PaychanTestSupport
import Synchronization

/// `paychan server` nodes on fixed ports sharing one PostgreSQL store and one seed, which a
/// test kills and starts again.
final class NodeCluster: @unchecked Sendable {
    let store: String
    let ports: [Int]
    private let scratch: String
    private let lock = NSLock()
    private var servers: [RunningServer?]
    private let kills = Atomic<Int>(0)

    /// `serverArguments` go to every node's `paychan server` besides its own.
    init(scratch: String, store: String, nodes: Int, lease: Int = 2, serverArguments: [String] = []) throws {
        // Below the ephemeral range: a killed node starts again on its port, which no other
        // test's connection can have taken meanwhile.
        self.scratch = scratch
        self.serverArguments = serverArguments
        self.store = store
        ports = try (0..<nodes).map { _ in try LoopbackPort.belowEphemeralRange() }
        self.lease = lease
        servers = Array(repeating: nil, count: nodes)
        try start(0)
        // Every node's directory holds a copy of the same seed.
        for node in 1..<nodes {
            try FileManager.default.createDirectory(atPath: directory(node), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: directory(0) + "/seed", toPath: directory(node) + "/seed")
            try start(node)
        }
    }

    private let lease: Int
    private let serverArguments: [String]
    private var balancer: String?

    func directory(_ node: Int) -> String { scratch + "/node\(node)" }

    var addresses: String { ports.map { "127.0.0.1:\($0)" }.joined(separator: ",") }

    var killsDone: Int { kills.load(ordering: .relaxed) }

    private func start(_ node: Int) throws {
        var lastError: (any Error)?
        for _ in 0..<20 {
            do {
                let server = try RunningServer(
                    directory: directory(node), listen: "127.0.0.1:\(ports[node])",
                    extraArguments: ["--store", store, "--node-id", "node\(node)", "--claim-lease", "\(lease)"]
                        + serverArguments)
                lock.withLock { servers[node] = server }
                return
            } catch {
                lastError = error
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        throw lastError ?? CocoaError(.fileReadUnknown)
    }

    /// SIGKILL.
    func kill(_ node: Int) {
        let server = lock.withLock { servers[node] }
        server?.kill()
        kills.wrappingAdd(1, ordering: .relaxed)
    }

    func restart(_ node: Int) throws { try start(node) }

    /// Sends `signal` (SIGSTOP pauses a node, SIGCONT wakes it) to a node's running process.
    func send(_ signal: Int32, to node: Int) {
        guard let server = lock.withLock({ servers[node] }), server.process.isRunning else { return }
        Foundation.kill(server.process.processIdentifier, signal)
    }

    /// SIGTERM to every node still running; how each node's last process ended.
    @discardableResult
    func stopAll() -> [ServerExit?] {
        let all = lock.withLock { servers }
        for server in all { server?.stop() }
        return ports.indices.map(ended)
    }

    /// How a node's last process ended, or nil while it runs (or never started).
    func ended(_ node: Int) -> ServerExit? {
        guard let server = lock.withLock({ servers[node] }), !server.process.isRunning else { return nil }
        return ServerExit(
            pid: server.process.processIdentifier, status: server.process.terminationStatus,
            signaled: server.process.terminationReason == .uncaughtSignal)
    }

    /// A client run through every node, as `--server-id cluster`, or through the balancer given
    /// to ``route(through:)``.
    func client(dir: String, _ arguments: [String]) throws -> PaychanProcess.Result {
        let route =
            lock.withLock { balancer.map { ["--server", $0] } } ?? ["--server", addresses, "--server-id", "cluster"]
        return try PaychanProcess.run(["client"] + route + ["--dir", dir, "--channel-value", "300000"] + arguments)
    }

    /// Sends every later client run through this one address (a load balancer in front of the
    /// nodes) instead of the list of the nodes' addresses.
    func route(through balancer: String) { lock.withLock { self.balancer = balancer } }

    /// The node and fencing token of the latest claim granted, `NODE TOKEN` (claims are
    /// released when a run ends; the log of grants stays).
    static let latestGrant = "SELECT node_id || ' ' || token FROM channel_claim_log ORDER BY token DESC LIMIT 1"

    /// One value from a query on the store's schema, through `psql`.
    func sql(_ query: String) throws -> String? {
        guard let schemaStart = store.range(of: "schema=") else { return nil }
        let schema = String(store[schemaStart.upperBound...])
        let base = String(store[..<store.index(before: schemaStart.lowerBound)])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/lib/postgresql/15/bin/psql")
        process.arguments = ["-d", base, "-At", "-v", "ON_ERROR_STOP=1", "-c", query]
        process.environment = ProcessInfo.processInfo.environment.merging(["PGOPTIONS": "-c search_path=\(schema)"]) {
            $1
        }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init)
    }

}

/// How a `paychan server` process ended: its exit status, or the signal that ended it.
struct ServerExit: Equatable, CustomStringConvertible {
    let pid: Int32
    let status: Int32
    let signaled: Bool

    var description: String { signaled ? "signal \(status)" : "exit \(status)" }
}
