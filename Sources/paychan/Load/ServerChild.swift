import Foundation

/// A `paychan server --chain memory` child process listening on a free port of 127.0.0.1, with
/// its own data directory: the server side of `paychan load` and of the server memory figure,
/// so that its memory is measured apart from the clients'.
final class ServerChild: @unchecked Sendable {
    // Unchecked: `Process` is not Sendable; it is only touched by `start` and `stop`.
    let process: Process
    /// The port it listens on.
    let port: Int
    /// Its data directory.
    let directory: String
    /// Where its standard error (its log) goes.
    let logPath: String

    private init(process: Process, port: Int, directory: String, logPath: String) {
        self.process = process
        self.port = port
        self.directory = directory
        self.logPath = logPath
    }

    /// Starts `paychan server` (this same executable) on `directory` and waits until it says
    /// where it listens. `extraArguments` are passed on (for example `--max-connections`).
    static func start(directory: String, extraArguments: [String] = []) async throws -> ServerChild {
        let executable = try ownExecutable()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let logPath = directory + "/server.log"
        guard FileManager.default.createFile(atPath: logPath, contents: nil),
            let log = FileHandle(forWritingAtPath: logPath)
        else { throw LoadFailure("cannot create \(logPath)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments =
            ["server", "--listen", "127.0.0.1:0", "--dir", directory, "--chain", "memory"] + extraArguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let reader = output.fileHandleForReading
        let line = await Task.detached { Self.readLine(reader) }.value
        guard let portText = line.split(separator: ":").last, let port = Int(portText) else {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            let tail = (try? String(contentsOfFile: logPath, encoding: .utf8))?.suffix(2000) ?? ""
            throw LoadFailure("paychan server did not start (said \"\(line)\"): \(tail)")
        }
        return ServerChild(process: process, port: port, directory: directory, logPath: logPath)
    }

    /// The process id, for reading its memory.
    var pid: Int32 { process.processIdentifier }

    /// The server's resident memory now, and its peak so far.
    func memory() -> ProcessMemory? { ProcessMemory.read(pid: pid) }

    /// Asks it to stop (SIGTERM: it stops listening and keeps every channel stored) and waits;
    /// returns its exit status.
    func stop() async -> Int32 {
        let process = process
        return await Task.detached {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            return process.terminationStatus
        }.value
    }

    /// The path of the running executable (`/proc/self/exe`, else the first argument).
    private static func ownExecutable() throws -> String {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        guard let first = CommandLine.arguments.first else { throw LoadFailure("cannot find the paychan executable") }
        return URL(fileURLWithPath: first).standardizedFileURL.path
    }

    /// Reads up to the first newline (or the end of the stream).
    private static func readLine(_ handle: FileHandle) -> String {
        var line = Data()
        while true {
            let byte = handle.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        return String(decoding: line, as: UTF8.self)
    }
}

/// A process's resident memory from `/proc/PID/status`, in KiB.
struct ProcessMemory: Sendable, Encodable {
    /// `VmRSS`: resident now.
    var residentKiB: Int
    /// `VmHWM`: the peak resident size so far.
    var peakKiB: Int

    enum CodingKeys: String, CodingKey {
        case residentKiB = "rss_kib"
        case peakKiB = "peak_rss_kib"
    }

    /// Reads process `pid`'s memory, or nil where there is no `/proc`.
    static func read(pid: Int32) -> ProcessMemory? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        var resident: Int?
        var peak: Int?
        for line in status.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, let kib = Int(fields[1]) else { continue }
            if line.hasPrefix("VmRSS:") { resident = kib }
            if line.hasPrefix("VmHWM:") { peak = kib }
        }
        guard let resident, let peak else { return nil }
        return ProcessMemory(residentKiB: resident, peakKiB: peak)
    }
}

/// Why a load run could not be made (not a payment error: those are counted).
struct LoadFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
