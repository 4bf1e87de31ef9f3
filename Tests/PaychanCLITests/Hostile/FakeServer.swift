import ChannelStateMachine
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A scripted, misbehaving channel server on 127.0.0.1 (plain POSIX sockets, bitcoinj's
/// framing): it accepts one connection and runs `script` on it on its own thread.
final class FakeServer: Sendable {
    /// The accepted connection, as the script sees it.
    final class Peer: Sendable {
        let descriptor: Int32
        private let log = Mutex<[ChannelMessage]>([])

        init(descriptor: Int32) { self.descriptor = descriptor }

        /// Everything the client sent so far.
        var received: [ChannelMessage] { log.withLock { $0 } }

        func send(_ message: ChannelMessage) { send(body: message.encoded()) }

        /// Sends `body` framed as it is, well-formed or not.
        func send(body: [UInt8]) {
            let length = UInt32(body.count)
            let frame =
                [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
                + body
            var offset = 0
            while offset < frame.count {
                let written = frame[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, 0) }
                guard written > 0 else { return }
                offset += written
            }
        }

        /// The client's next message, or nil when it hangs up (or nothing comes in `timeout`).
        func receive(timeout: Duration = .seconds(20)) -> ChannelMessage? {
            guard let prefix = read(4, timeout: timeout) else { return nil }
            let length = prefix.reduce(0) { $0 << 8 | Int($1) }
            guard let body = read(length, timeout: timeout), let message = try? ChannelMessage(decoding: body) else {
                return nil
            }
            log.withLock { $0.append(message) }
            return message
        }

        /// Reads until the client hangs up (or `timeout`); true when it did.
        func waitForHangUp(timeout: Duration = .seconds(20)) -> Bool {
            while true {
                guard poll(timeout) else { return false }
                var byte: UInt8 = 0
                if recv(descriptor, &byte, 1, 0) <= 0 { return true }
            }
        }

        private func read(_ count: Int, timeout: Duration) -> [UInt8]? {
            var bytes: [UInt8] = []
            while bytes.count < count {
                guard poll(timeout) else { return nil }
                var chunk = [UInt8](repeating: 0, count: count - bytes.count)
                let got = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                guard got > 0 else { return nil }
                bytes += chunk.prefix(got)
            }
            return bytes
        }

        private func poll(_ timeout: Duration) -> Bool {
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(
                timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
            return Glibc.poll(&entry, 1, milliseconds) > 0
        }
    }

    let port: Int
    private let listener: Int32
    private let finished = Outcome()

    /// Whether the script finished, and the connection it ran on.
    private final class Outcome: Sendable {
        let state = Mutex<(done: Bool, peer: Peer?)>((false, nil))
        func withLock<T>(_ body: (inout (done: Bool, peer: Peer?)) -> T) -> T { state.withLock { body(&$0) } }
    }

    init(script: @escaping @Sendable (Peer) -> Void) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(listener, 4) == 0 else {
            close(listener)
            throw POSIXError(.EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        self.listener = listener
        let finished = self.finished
        Thread.detachNewThread {
            let descriptor = accept(listener, nil, nil)
            guard descriptor >= 0 else {
                finished.withLock { $0.done = true }
                return
            }
            let peer = Peer(descriptor: descriptor)
            finished.withLock { $0.peer = peer }
            script(peer)
            close(descriptor)
            finished.withLock { $0.done = true }
        }
    }

    /// Everything the client sent, once the script has finished (waits up to `limit`).
    func transcript(within limit: Duration = .seconds(30)) async -> [ChannelMessage] {
        let deadline = ContinuousClock.now + limit
        while !finished.withLock({ $0.done }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return finished.withLock { $0.peer?.received } ?? []
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}
