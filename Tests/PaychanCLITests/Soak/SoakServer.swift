import Foundation
import PaychanTestSupport

/// A `paychan server` that a soak SIGKILLs and restarts on the same directory, port and
/// transaction log.
final class SoakServer {
    let directory: String
    let txLog: String
    private let stderr: FileHandle
    private var process: Process?
    /// Below the ephemeral range, so that it is free again at each restart (see LoopbackPort).
    private(set) var port: Int
    private(set) var starts = 0

    init(directory: String, txLog: String, stderr: FileHandle) throws {
        self.directory = directory
        self.txLog = txLog
        port = try LoopbackPort.belowEphemeralRange()
        self.stderr = stderr
        try start()
    }

    var address: String { "127.0.0.1:\(port)" }

    /// Starts the server (on its port, the same at each start) and waits until
    /// it says it listens; throws if it exits first or says something else.
    func start() throws {
        let process = Process()
        process.executableURL = PaychanProcess.binary
        process.arguments = ["server", "--listen", "127.0.0.1:\(port)", "--dir", directory, "--tx-log", txLog]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("listening on "), let portText = text.split(separator: ":").last,
            let listening = Int(portText), listening == port
        else {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            throw SoakFailure("server start \(starts + 1) failed (status \(process.terminationStatus)): \(text)")
        }
        port = listening
        starts += 1
        self.process = process
    }

    /// SIGKILL; waits until it is gone.
    func kill() {
        guard let process else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// SIGTERM; returns the exit status.
    func stop() -> Int32 {
        guard let process else { return 0 }
        process.terminate()
        process.waitUntilExit()
        self.process = nil
        return process.terminationStatus
    }

    deinit { if let process, process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) } }
}

/// A soak step that could not be carried out.
struct SoakFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
