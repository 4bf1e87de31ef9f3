import Foundation
import Synchronization

/// A `paychan` child process whose standard output is read as it comes (for `--progress` lines).
final class StreamingProcess: Sendable {
    private let process: Process
    private let buffer = Buffer()
    private let stderrFile: String

    /// Starts `paychan arguments…`, its standard error going to `stderrFile`.
    init(_ arguments: [String], stderrFile: String) throws {
        self.stderrFile = stderrFile
        _ = FileManager.default.createFile(atPath: stderrFile, contents: nil)
        let process = Process()
        process.executableURL = PaychanProcess.binary
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle(forWritingAtPath: stderrFile)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        let reader = pipe.fileHandleForReading
        DispatchQueue.global().async { [buffer] in
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                buffer.output.withLock { $0.append(chunk) }
            }
            buffer.finished.withLock { $0 = true }
        }
    }

    /// The complete lines written so far.
    var lines: [String] {
        let text = String(decoding: buffer.output.withLock { $0 }, as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    /// What it wrote on standard error so far.
    var stderr: String { (try? String(contentsOfFile: stderrFile, encoding: .utf8)) ?? "" }

    /// Waits (up to `timeout`) until `count` lines start with `prefix`; false on timeout or exit.
    func waitForLines(startingWith prefix: String, count: Int, timeout: Duration = .seconds(60)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if lines.count(where: { $0.hasPrefix(prefix) }) >= count { return true }
            if !process.isRunning && buffer.finished.withLock({ $0 }) { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    /// Waits until it exits and its output is read; its exit status.
    func wait() async -> Int32 {
        while process.isRunning || !buffer.finished.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(10)) }
        return process.terminationStatus
    }
}

/// What the reader of a ``StreamingProcess`` has read.
private final class Buffer: Sendable {
    let output = Mutex(Data())
    let finished = Mutex(false)
}
