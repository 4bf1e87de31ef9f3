import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `tcp-1ch-floor`: what `Scripts/tcp-sync-floor.c` measures, in this process. Two threads
/// play sequential payments over one loopback TCP connection (`TCP_NODELAY`), with nothing but
/// the system calls: no NIO, no SQLite, no signatures. Per payment:
/// - the "client" spins for the signature time, writes one aligned 4 KiB block into its own
///   preallocated file opened with `O_DSYNC | O_DIRECT` (the payment journal's durable write),
///   and sends 86 bytes (an `UPDATE_PAYMENT` frame's size);
/// - the "server" reads them, spins for the verification time, makes the same durable write
///   into its own file, and answers 6 bytes (a `PAYMENT_ACK` frame's size).
///
/// So it is `tcp-1ch`'s two sequential durable writes and its loopback round trip, with the
/// signature work only spun: the limit this machine sets to `tcp-1ch` at this moment. The spins
/// are the sign and verify times of the same run's signature floor (``BenchFloor``).
///
/// `@unchecked Sendable`: the descriptors are constants, and the aligned block is written once,
/// at `init`, then only read (by `pwrite`) from the two threads.
final class SyncFloor: @unchecked Sendable {
    /// Bytes the client sends per payment, and the server's answer.
    static let requestSize = 86
    static let answerSize = 6
    /// One durable write: one 4 KiB block at block `i % blocks`.
    static let blockSize = 4096
    static let blocks = 1000

    private let clientFile: Int32
    private let serverFile: Int32
    private let clientSocket: Int32
    private let serverSocket: Int32
    /// The block both sides write, aligned for `O_DIRECT` (only read by the writes).
    private let block: UnsafeMutableRawPointer

    /// Preallocates the two files in `directory` (zeros, synced) and connects the two ends.
    init(directory: String) throws {
        block = .allocate(byteCount: Self.blockSize, alignment: Self.blockSize)
        block.initializeMemory(as: UInt8.self, repeating: 0, count: Self.blockSize)
        var descriptors: [Int32] = []
        do {
            for name in ["sync-floor-client", "sync-floor-server"] {
                descriptors.append(try Self.preallocatedFile(directory + "/" + name, block: block))
            }
            let (client, server) = try Self.loopbackConnection()
            descriptors += [client, server]
        } catch {
            for descriptor in descriptors { Glibc.close(descriptor) }
            block.deallocate()
            throw error
        }
        clientFile = descriptors[0]
        serverFile = descriptors[1]
        clientSocket = descriptors[2]
        serverSocket = descriptors[3]
    }

    deinit {
        for descriptor in [clientFile, serverFile, clientSocket, serverSocket] { Glibc.close(descriptor) }
        block.deallocate()
    }

    /// Runs `payments` sequential payments, the client spinning `clientSpinMicros` and the server
    /// `serverSpinMicros` per payment; returns the client's payments per second.
    func round(payments: Int, clientSpinMicros: Double, serverSpinMicros: Double) async throws -> Double {
        let count = max(1, payments)
        async let served = onThread { [self] in
            var message = [UInt8](repeating: 0, count: Self.requestSize)
            for index in 0..<count {
                try Self.readFully(serverSocket, &message)
                Self.spin(serverSpinMicros)
                try durableWrite(serverFile, index: index)
                try Self.writeFully(serverSocket, Array(message.prefix(Self.answerSize)))
            }
            return 0
        }
        let seconds = try await onThread { [self] in
            var answer = [UInt8](repeating: 0, count: Self.answerSize)
            let request = [UInt8](repeating: 0x08, count: Self.requestSize)
            let start = ContinuousClock.now
            for index in 0..<count {
                Self.spin(clientSpinMicros)
                try durableWrite(clientFile, index: index)
                try Self.writeFully(clientSocket, request)
                try Self.readFully(clientSocket, &answer)
            }
            return BenchTiming.seconds(ContinuousClock.now - start)
        }
        _ = try await served
        return Double(count) / seconds
    }

    /// `FIGURE-floor` and `FIGURE-floor-ratio`: the floor's median rate, and `figure`'s median
    /// over it, from rounds run in turns (`rates[i]` just before `floorRates[i]`).
    static func results(of figure: String, rates: [Double], floorRates: [Double], perRound: Int, floor: BenchFloor)
        -> [BenchResult]
    {
        let floorRate = BenchTiming.median(floorRates)
        let rounds = zip(rates, floorRates).map { String(format: "%.0f/%.0f", $0, $1) }.joined(separator: ", ")
        let spins = String(
            format: "client spins %.1f µs (this run's sign), server %.1f µs (verify)", floor.signMicros,
            floor.verifyMicros)
        return [
            .throughput(
                figure + "-floor", floorRate, floor: floor,
                detail: "Scripts/tcp-sync-floor.c's payments in this process: two threads on loopback TCP "
                    + "(TCP_NODELAY), \(perRound) sequential payments/round; per payment each side spins, then "
                    + "writes one 4 KiB block into its own preallocated file with O_DSYNC|O_DIRECT (the payment "
                    + "journal's write; client before sending 86 B, server before answering 6 B): plain system "
                    + "calls, no NIO, SQLite or signature; "
                    + "\(spins); a round after each \(figure) round, on the same disk"),
            BenchResult(
                name: figure + "-floor-ratio", value: floorRate > 0 ? BenchTiming.median(rates) / floorRate : 0,
                unit: "ratio", ratioToFloor: nil,
                detail: "\(figure) ÷ \(figure)-floor, medians of rounds run in turns; rounds \(figure)/floor: \(rounds)"
            ),
        ]
    }

    // MARK: The work of one payment

    /// Busy-waits for `micros` microseconds (the signature work, as the C program spins it).
    static func spin(_ micros: Double) {
        guard micros > 0 else { return }
        let end = ContinuousClock.now + .nanoseconds(Int64(micros * 1000))
        while ContinuousClock.now < end {}
    }

    /// The C program's `durable_write`: one block, durable when `pwrite` returns (`O_DSYNC`).
    private func durableWrite(_ file: Int32, index: Int) throws {
        let at = off_t((index % Self.blocks) * Self.blockSize)
        guard pwrite(file, block, Self.blockSize, at) == Self.blockSize else { throw Self.failure("durable write") }
    }

    private static func writeFully(_ socket: Int32, _ bytes: [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(socket, $0.baseAddress! + done, $0.count - done) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw failure("send") }
            done += count
        }
    }

    private static func readFully(_ socket: Int32, _ bytes: inout [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeMutableBytes { Glibc.read(socket, $0.baseAddress! + done, $0.count - done) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw failure("receive") }
            done += count
        }
    }

    // MARK: Setup

    /// A file of `blocks` zeroed blocks, synced, opened `O_DSYNC | O_DIRECT` as the payment
    /// journal is (without `O_DIRECT` where the file system refuses it), as the C program's
    /// `open_log` makes it.
    private static func preallocatedFile(_ path: String, block: UnsafeMutableRawPointer) throws -> Int32 {
        let flags = O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC | O_DSYNC
        var file = open(path, flags | directIO, 0o644)
        if file < 0 && errno == EINVAL && directIO != 0 { file = open(path, flags, 0o644) }
        guard file >= 0 else { throw failure("open \(path)") }
        let filled = (0..<blocks).allSatisfy { pwrite(file, block, blockSize, off_t($0 * blockSize)) == blockSize }
        guard filled, fsync(file) == 0 else {
            Glibc.close(file)
            throw failure("preallocate \(path)")
        }
        return file
    }

    /// `O_DIRECT`, which Swift's Glibc module leaves out (it needs `_GNU_SOURCE`).
    #if arch(x86_64)
        private static let directIO: Int32 = 0o40000
    #elseif arch(arm64)
        private static let directIO: Int32 = 0o200000
    #else
        private static let directIO: Int32 = 0
    #endif

    /// Both ends of a TCP connection on 127.0.0.1, `TCP_NODELAY` on each.
    private static func loopbackConnection() throws -> (client: Int32, server: Int32) {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard listener >= 0 else { throw failure("socket") }
        defer { Glibc.close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 1) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        guard listening else { throw failure("listen") }
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard client >= 0 else { throw failure("socket") }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, length) == 0 }
        }
        let server = connected ? accept(listener, nil, nil) : -1
        guard server >= 0 else {
            Glibc.close(client)
            throw failure("connect")
        }
        var one: Int32 = 1
        for end in [client, server] {
            setsockopt(end, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        return (client, server)
    }

    /// Runs `body` on a thread of its own (it blocks in system calls and spins). When it fails,
    /// the connection is shut down, so that the other side's blocking read or write fails too.
    private func onThread(_ body: @escaping @Sendable () throws -> Double) async throws -> Double {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { [clientSocket, serverSocket] in
                let result = Result { try body() }
                if case .failure = result {
                    shutdown(clientSocket, Int32(SHUT_RDWR))
                    shutdown(serverSocket, Int32(SHUT_RDWR))
                }
                continuation.resume(with: result)
            }
        }
    }

    private static func failure(_ what: String) -> BenchFailure {
        BenchFailure("tcp-1ch-floor: \(what) failed: \(String(cString: strerror(errno)))")
    }
}
