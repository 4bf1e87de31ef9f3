import Glibc
import Synchronization

/// Where the child stops, counted over the whole run (both directions of the pipe, both stores).
enum PausePoint: Sendable, Equatable, CustomStringConvertible {
    /// Run to the end.
    case none
    /// Stop just before message `k` is handed to its receiver: the sender's writes for it are
    /// durable (the sender released the send only then), the receiver has not seen it.
    case beforeMessage(Int)
    /// Hand message `k` to its receiver, let the receiver's machine run (its writes are enqueued,
    /// perhaps not committed yet), then stop.
    case afterMessage(Int)
    /// Stop right after the `n`-th durability point of either store is reached, before whoever
    /// waited on it goes on (see ``CountingStore``).
    case afterCommit(Int)
    /// Stop right after printing the `n`-th `ACK` (the initial payment's is the first): the
    /// application was just told the payment is acknowledged.
    case afterAck(Int)

    var description: String {
        switch self {
        case .none: return "none"
        case .beforeMessage(let k): return "before message \(k)"
        case .afterMessage(let k): return "after message \(k)"
        case .afterCommit(let n): return "after commit \(n)"
        case .afterAck(let n): return "after ACK \(n)"
        }
    }
}

/// Lines on standard output, each written whole with one `write(2)` (no buffering), so that
/// a line printed before the process is killed is always seen by the parent.
enum Output {
    private static let lock = Mutex(())

    static func line(_ text: String) {
        let bytes = Array((text + "\n").utf8)
        lock.withLock { _ in writeAll(bytes, to: 1) }
    }

    /// A diagnostic on standard error (the parent shows its tail when a case fails).
    static func note(_ text: String) {
        let bytes = Array((text + "\n").utf8)
        lock.withLock { _ in writeAll(bytes, to: 2) }
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}

/// Counts messages crossing the pipe and durability points of the stores, and stops the whole
/// process at the requested one.
///
/// Stopping is `raise(SIGSTOP)` after printing `PAUSED …`: every thread stops at once (no
/// writer thread commits anything more, no task sends anything more), and the parent, which
/// reads the line, ends the process with SIGKILL. Should the process ever be continued instead
/// (say its parent died), it exits at once without doing anything more.
final class CrashPoints: Sendable {
    let point: PausePoint
    private let counters = Mutex((messages: 0, commits: 0, acks: 0))

    init(_ point: PausePoint) { self.point = point }

    /// Messages numbered so far.
    var messages: Int { counters.withLock { $0.messages } }
    /// Durability points counted so far.
    var commits: Int { counters.withLock { $0.commits } }
    /// `ACK` lines printed so far.
    var acks: Int { counters.withLock { $0.acks } }

    /// Numbers the next message crossing the pipe (1, 2, …).
    func nextMessage() -> Int {
        counters.withLock { counters in
            counters.messages += 1
            return counters.messages
        }
    }

    /// Prints `ACK <total>`; stops the process if it is the ACK asked for.
    func acknowledged(total: Int64) {
        let n = counters.withLock { counters in
            counters.acks += 1
            return counters.acks
        }
        Output.line("ACK \(total)")
        if point == .afterAck(n) { pause("\(n) ACK \(total)") }
    }

    /// Counts a durability point; stops the process if it is the one asked for.
    func durable(_ what: String) {
        let n = counters.withLock { counters in
            counters.commits += 1
            return counters.commits
        }
        Output.note("commit \(n): \(what)")
        if point == .afterCommit(n) { pause("\(n) COMMIT \(what)") }
    }

    /// Prints `PAUSED <what>` and stops every thread of the process.
    func pause(_ what: String) -> Never {
        Output.line("PAUSED \(what)")
        raise(SIGSTOP)
        Output.note("continued after the pause instead of being killed: exiting")
        _exit(3)
    }
}
