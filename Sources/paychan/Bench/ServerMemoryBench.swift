import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine

/// `server-rss-per-channel-kib`: the growth of the process's resident memory per open, idle
/// channel held by a server manager (session, machine, registry entries, expiry deadline, its
/// share of SQLite's cache), over **in-memory pipes** (no sockets yet).
///
/// The clients are raw machines that are dropped once their channel is open, and the chain is a
/// stub that keeps nothing, so what grows is the server's. One measurement (not a median): RSS
/// from `/proc/self/status` after a warm-up batch of channels, then after `idleChannels` more.
/// It runs right after the floor, before any other setup has churned the heap.
struct ServerMemoryFigure: BenchFigure {
    static let name = "server-rss-per-channel-kib"
    var names: [String] { [Self.name] }
    /// Freed memory of earlier setups would be reused by this one and hide its growth.
    var runsFirst: Bool { true }

    func run(_ context: BenchContext) async throws -> [BenchResult] {
        guard BenchMemory.residentKiB() != nil else {
            context.progress("\(Self.name) skipped: no /proc/self/status")
            return []
        }
        let count = context.settings.idleChannels
        let warmUp = max(100, count / 20)
        let scratch = try context.scratch()
        defer { scratch.remove() }
        let clock = ManualClock(now: BenchManagers.start)
        let store = try SQLiteChannelStore(path: scratch.path + "/server.sqlite", clock: clock)
        let keychain = try ChannelKeychain(seed: [UInt8](repeating: 0x52, count: 32))
        let payout = Script.p2wpkh(publicKey: try keychain.key(.walletReceive, index: 0).publicKey)
        let server = try ServerManager(
            config: ServerManagerConfig(channel: ServerChannelConfig(payoutScript: payout)), store: store,
            chain: AcceptingChain(clock: clock), keychain: keychain, clock: clock,
            logger: BenchLogging.quiet("paychan.bench.server"))
        try await server.start()
        let opener = try IdleChannelOpener(server: server, clock: clock)
        var pipes = try await opener.open(warmUp)
        let before = BenchMemory.trimmedResidentKiB()
        pipes += try await opener.open(count)
        try await store.waitUntilDurable(store.enqueue([]))
        let after = BenchMemory.trimmedResidentKiB()
        guard server.sessionCount == pipes.count else {
            throw BenchFailure("server memory: \(server.sessionCount) sessions for \(pipes.count) channels")
        }
        await server.shutdown()
        for pipe in pipes { BenchPipes.disconnect(pipe) }
        store.close()
        guard let before, let after else { throw BenchFailure("server memory: VmRSS unreadable") }
        let perChannel = Double(after - before) / Double(count)
        return [
            BenchResult(
                name: Self.name, value: perChannel, unit: "KiB", ratioToFloor: nil,
                detail: "IN-MEMORY PIPES, not TCP: \(count) idle open channels on a server manager (SQLite), "
                    + "VmRSS \(before) -> \(after) KiB, one measurement")
        ]
    }
}

/// Opens channels against a server manager with raw client machines, many at a time, and leaves
/// them open and idle: each pipe stays connected, its client machine is dropped.
struct IdleChannelOpener: Sendable {
    let server: ServerManager
    let clock: ManualClock
    let key: PrivateKey
    let config: ClientChannelConfig
    /// Channels opened at once.
    static let wave = 200

    init(server: ServerManager, clock: ManualClock) throws {
        self.server = server
        self.clock = clock
        key = try ExtendedPrivateKey(seed: Hashing.sha256(Array("paychan bench idle client".utf8)))
            .derived(DerivationPath("m/0'/0'")).privateKey
        config = ClientChannelConfig(channelValue: try Amount(satoshis: Int64(1_000_000)), versionSelector: .v2)
    }

    /// Opens `count` channels; returns their pipes, to keep the connections up.
    func open(_ count: Int) async throws -> [InMemoryPipe] {
        var pipes: [InMemoryPipe] = []
        var next = 0
        while next < count {
            let end = min(count, next + Self.wave)
            let range = next..<end
            try await withThrowingTaskGroup(of: InMemoryPipe.self) { group in
                for _ in range { group.addTask { try await self.openOne() } }
                for try await pipe in group { pipes.append(pipe) }
            }
            next = end
        }
        return pipes
    }

    private func openOne() async throws -> InMemoryPipe {
        let pipe = InMemoryPipe()
        let session = try await server.accept(pipe.serverEnd)
        pipe.serverEnd.attach(session.receive, closed: session.connectionClosed)
        let client = RawClient(
            machine: ClientChannel(config: config, serverID: "bench", key: key, keyIndex: 0), end: pipe.clientEnd,
            clock: clock)
        pipe.clientEnd.attach(client.receive, closed: client.connectionClosed)
        try await client.open()
        // Drop the client machine: only the server's side of the channel stays in memory.
        pipe.clientEnd.attach({ _ in }, closed: {})
        return pipe
    }
}
