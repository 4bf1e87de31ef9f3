import Foundation

/// One `paychan client … --progress` process, its progress lines read as they are printed
/// (each is flushed at once, so the lines read before a SIGKILL are all it acknowledged).
final class SoakClientRun: @unchecked Sendable {
    let process = Process()
    private let condition = NSCondition()
    private var lines: [String] = []
    private var outputEnded = false

    init(arguments: [String], stderr: FileHandle) throws {
        process.executableURL = PaychanProcess.binary
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let reader = out.fileHandleForReading
        Thread.detachNewThread { [self] in readLines(reader) }
    }

    private func readLines(_ reader: FileHandle) {
        var buffer = Data()
        while true {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                condition.lock()
                lines.append(line)
                condition.broadcast()
                condition.unlock()
            }
        }
        condition.lock()
        outputEnded = true
        condition.broadcast()
        condition.unlock()
    }

    /// The progress lines read so far.
    var progress: [String] {
        condition.lock()
        defer { condition.unlock() }
        return lines
    }

    /// Waits until `count` lines were read; false if the output ended first or at `deadline`.
    func waitForLines(_ count: Int, until deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while lines.count < count && !outputEnded {
            if !condition.wait(until: deadline) { break }
        }
        return lines.count >= count
    }

    /// Waits until the output ended (the process exited or was killed) and the process is
    /// reaped; false at `deadline`.
    func waitUntilEnded(until deadline: Date) -> Bool {
        condition.lock()
        while !outputEnded {
            if !condition.wait(until: deadline) { break }
        }
        let ended = outputEnded
        condition.unlock()
        guard ended else { return false }
        process.waitUntilExit()
        return true
    }

    /// Whether the process is still running.
    var isRunning: Bool { process.isRunning }

    /// SIGKILL; waits until it is gone.
    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
