import BitcoinPrimitives
import Foundation

/// `server-rss-per-channel-kib`: the growth of a `paychan server` process's resident memory per
/// open, idle channel, over loopback TCP.
///
/// The server runs as a child process (``ServerChild``: `paychan server --chain memory`, its
/// SQLite store in a scratch directory), so only its memory is counted: connections, sessions,
/// machines, registry entries, expiry deadlines, NIO channel pipelines and its share of
/// SQLite's cache. The channels are opened from this process by a ``ClientManager`` with its
/// own SQLite store (``LoadClients``). One measurement (not a median): the server's `VmRSS`
/// after a warm-up batch of channels, then after `idleChannels` more.
struct ServerMemoryFigure: BenchFigure {
    static let name = "server-rss-per-channel-kib"
    var names: [String] { [Self.name] }

    func run(_ context: BenchContext) async throws -> [BenchResult] {
        let count = context.settings.idleChannels
        let warmUp = max(100, count / 20)
        let scratch = try context.scratch()
        defer { scratch.remove() }
        let server = try await ServerChild.start(directory: scratch.path + "/server")
        guard server.memory() != nil else {
            _ = await server.stop()
            context.progress("\(Self.name) skipped: no /proc/PID/status")
            return []
        }
        let value = try Amount(satoshis: Int64(200_000))
        do {
            let clients = try await LoadClients(
                directory: scratch.path, host: "127.0.0.1", port: server.port, coins: warmUp + count,
                coinValue: try Amount(satoshis: Int64(300_000)), threads: 1)
            let opener = IdleOpener(clients: clients, value: value)
            try await opener.open(0..<warmUp)
            let before = server.memory()
            try await opener.open(warmUp..<(warmUp + count))
            // Let the server's last writes and acks settle before reading.
            try await Task.sleep(for: .milliseconds(500))
            let after = server.memory()
            await clients.shutdown()
            let status = await server.stop()
            guard status == 0 else { throw BenchFailure("server memory: paychan server exited with \(status)") }
            guard let before, let after else { throw BenchFailure("server memory: VmRSS unreadable") }
            let perChannel = Double(after.residentKiB - before.residentKiB) / Double(count)
            return [
                BenchResult(
                    name: Self.name, value: perChannel, unit: "KiB", ratioToFloor: nil,
                    detail: "\(count) idle open channels over loopback TCP on a paychan server process (SQLite), "
                        + "after \(warmUp) warm-up channels: VmRSS \(before.residentKiB) -> \(after.residentKiB) KiB, "
                        + "one measurement")
            ]
        } catch {
            _ = await server.stop()
            throw error
        }
    }
}

/// Opens channels and leaves them open and idle, a wave at a time.
struct IdleOpener: Sendable {
    let clients: LoadClients
    let value: Amount
    /// Channels opened at once.
    static let wave = 250

    /// Opens the channels of connections `range`; any failure fails the figure.
    func open(_ range: Range<Int>) async throws {
        var next = range.lowerBound
        while next < range.upperBound {
            let wave = next..<min(range.upperBound, next + Self.wave)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in wave { group.addTask { _ = try await clients.open(index, value: value) } }
                try await group.waitForAll()
            }
            next = wave.upperBound
        }
    }
}
