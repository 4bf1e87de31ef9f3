import Foundation
import Synchronization

/// A running `paychan-crash-child`: its standard output read line by line as it comes, its
/// standard error kept for failure messages, its end awaited without blocking a thread of the
/// cooperative pool. A watchdog kills it (SIGKILL) if it is still running after `timeout`.
final class CrashChildProcess: Sendable {
    /// How the process ended.
    struct Exit: Sendable, Equatable, CustomStringConvertible {
        /// True when a signal ended it (then `status` is the signal number).
        let signaled: Bool
        let status: Int32

        var description: String { signaled ? "killed by signal \(status)" : "exited with status \(status)" }
    }

    struct LaunchError: Error, CustomStringConvertible {
        let description: String
    }

    fileprivate struct State {
        var lines: [String] = []
        var next = 0
        var outputEnded = false
        var lineWaiter: CheckedContinuation<String?, Never>?
        var exit: Exit?
        var exitWaiters: [CheckedContinuation<Exit, Never>] = []
        var stderr: [UInt8] = []
        var timedOut = false
    }

    let arguments: [String]
    let pid: Int32
    private let process: Process
    private let state: Shared
    private let watchdog = Mutex<Task<Void, Never>?>(nil)

    /// The child binary: `PAYCHAN_CRASH_CHILD` if set, else `paychan-crash-child` in the
    /// directory of the running test binary (SwiftPM puts the package's executables and the
    /// test bundle in the same build directory; `swift build --build-tests` builds both).
    static func binary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["PAYCHAN_CRASH_CHILD"] { return path }
        var directories: [URL] = []
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            directories.append(URL(fileURLWithPath: executable).deletingLastPathComponent())
        }
        directories.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        directories.append(Bundle.main.bundleURL)
        // On macOS the tests run inside `PaychanPackageTests.xctest/Contents/MacOS`.
        for directory in directories {
            var url = directory
            while url.path.contains(".xctest") { url = url.deletingLastPathComponent() }
            let candidate = url.appendingPathComponent("paychan-crash-child").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw LaunchError(
            description: "paychan-crash-child not found next to the test binary (looked in "
                + "\(directories.map(\.path))): build it with `swift build --build-tests`, or set PAYCHAN_CRASH_CHILD")
    }

    /// The state shared with the reader threads and the termination handler.
    fileprivate final class Shared: Sendable {
        let mutex = Mutex(State())

        func withLock<T>(_ body: (inout State) -> T) -> T { mutex.withLock { body(&$0) } }
    }

    /// Starts the child with `arguments`.
    init(_ arguments: [String], timeout: Duration = .seconds(60)) throws {
        self.arguments = arguments
        state = Shared()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.binary())
        process.arguments = arguments
        // Pipes made close-on-exec, so that no other child ever inherits their ends (an
        // inherited write end would keep a pipe open after its child died).
        let out = try Self.pipe()
        let err = try Self.pipe()
        let outWrite = FileHandle(fileDescriptor: out.write, closeOnDealloc: true)
        let errWrite = FileHandle(fileDescriptor: err.write, closeOnDealloc: true)
        process.standardInput = nil  // /dev/null
        process.standardOutput = outWrite
        process.standardError = errWrite
        let state = self.state
        process.terminationHandler = { process in
            let exit = Exit(
                signaled: process.terminationReason == .uncaughtSignal, status: process.terminationStatus)
            let waiters = state.withLock { state in
                state.exit = exit
                defer { state.exitWaiters = [] }
                return state.exitWaiters
            }
            for waiter in waiters { waiter.resume(returning: exit) }
        }
        defer {
            // The child has its copies; ours must go so that the pipes end when the child does.
            try? outWrite.close()
            try? errWrite.close()
        }
        do { try process.run() } catch {
            close(out.read)
            close(err.read)
            throw LaunchError(description: "cannot start the child: \(error)")
        }
        pid = process.processIdentifier
        self.process = process
        Self.readLines(out.read, into: state)
        Self.readBytes(err.read, into: state)
        let pid = self.pid
        watchdog.withLock {
            $0 = Task {
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                let running = state.withLock { state -> Bool in
                    guard state.exit == nil else { return false }
                    state.timedOut = true
                    return true
                }
                if running { Glibc.kill(pid, SIGKILL) }
            }
        }
    }

    deinit {
        watchdog.withLock { $0 }?.cancel()
        if state.withLock({ $0.exit == nil }) { Glibc.kill(pid, SIGKILL) }
    }

    /// Every line read so far.
    var lines: [String] { state.withLock { $0.lines } }

    /// Whether the watchdog had to kill the child.
    var timedOut: Bool { state.withLock { $0.timedOut } }

    /// The last `count` characters the child wrote on standard error.
    func stderrTail(_ count: Int = 3000) -> String {
        String(decoding: state.withLock { $0.stderr.suffix(count) }, as: UTF8.self)
    }

    /// The next line of standard output, or nil once it ended.
    func nextLine() async -> String? {
        await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            let ready = state.withLock { state -> String?? in
                if state.next < state.lines.count {
                    state.next += 1
                    return .some(state.lines[state.next - 1])
                }
                if state.outputEnded { return .some(nil) }
                state.lineWaiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Reads lines until one starts with one of `prefixes` (returned), or the output ends (nil).
    func readUntil(_ prefixes: String...) async -> String? {
        while let line = await nextLine() {
            if prefixes.contains(where: { line.hasPrefix($0) }) { return line }
        }
        return nil
    }

    /// Sends SIGKILL.
    func kill() {
        _ = Glibc.kill(pid, SIGKILL)
    }

    /// Waits until the process has ended, and until all it wrote on standard output was read.
    func waitForExit() async -> Exit {
        let exit = await withCheckedContinuation { (continuation: CheckedContinuation<Exit, Never>) in
            let exit = state.withLock { state -> Exit? in
                if let exit = state.exit { return exit }
                state.exitWaiters.append(continuation)
                return nil
            }
            if let exit { continuation.resume(returning: exit) }
        }
        while await nextLine() != nil {}
        watchdog.withLock { $0 }?.cancel()
        return exit
    }

    /// What to show when a case fails: the command, what was read, and the end of stderr.
    func diagnosis() -> String {
        """
        child: paychan-crash-child \(arguments.joined(separator: " "))\(timedOut ? " (killed by the watchdog)" : "")
        --- stdout ---
        \(lines.map { $0.count > 300 ? String($0.prefix(300)) + "…" : $0 }.joined(separator: "\n"))
        --- stderr (tail) ---
        \(stderrTail())
        """
    }

    private static func pipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard Glibc.pipe(&fds) == 0 else {
            throw LaunchError(description: "pipe failed: \(String(cString: strerror(errno)))")
        }
        // (Foundation's Process also closes every other descriptor in the children it starts.)
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    private static func readLines(_ fd: Int32, into state: Shared) {
        let thread = Thread {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                pending.append(contentsOf: buffer[0..<count])
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    deliver(String(decoding: pending[..<newline], as: UTF8.self), to: state)
                    pending.removeSubrange(...newline)
                }
            }
            close(fd)
            if !pending.isEmpty { deliver(String(decoding: pending, as: UTF8.self), to: state) }
            let waiter = state.withLock { state in
                state.outputEnded = true
                defer { state.lineWaiter = nil }
                return state.lineWaiter
            }
            waiter?.resume(returning: nil)
        }
        thread.start()
    }

    private static func deliver(_ line: String, to state: Shared) {
        let waiter = state.withLock { state -> CheckedContinuation<String?, Never>? in
            state.lines.append(line)
            guard let waiter = state.lineWaiter else { return nil }
            state.lineWaiter = nil
            state.next += 1
            return waiter
        }
        waiter?.resume(returning: line)
    }

    private static func readBytes(_ fd: Int32, into state: Shared) {
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                state.withLock { state in
                    state.stderr.append(contentsOf: buffer[0..<count])
                    if state.stderr.count > 200_000 { state.stderr.removeFirst(state.stderr.count - 100_000) }
                }
            }
            close(fd)
        }
        thread.start()
    }
}
