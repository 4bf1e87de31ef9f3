import Foundation
import Testing

/// Runs the built `paychan` program as a child process.
struct PaychanProcess {
    /// The `paychan` binary next to the test bundle (`swift build --build-tests` builds both).
    static var binary: URL {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let beside = here.appendingPathComponent("paychan")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("paychan")
    }

    struct Result {
        let status: Int32
        /// Whether a signal ended it (then `status` is the signal's number).
        var signaled = false
        let stdout: String
        let stderr: String

        /// The standard output parsed as one JSON object.
        func json() throws -> [String: Any] {
            let data = Data(stdout.utf8)
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw CocoaError(.coderReadCorrupt)
            }
            return object
        }
    }

    /// Runs `paychan arguments…` to completion.
    static func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes to the end before waiting, so a chatty child never blocks.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// A `paychan server` running in the background on a free port.
final class RunningServer {
    let process = Process()
    let port: Int
    let directory: String
    private let stderrFile: String
    private let output: FileHandle

    init(directory: String, listen: String = "127.0.0.1:0", extraArguments: [String] = []) throws {
        self.directory = directory
        stderrFile = directory + ".stderr"
        _ = FileManager.default.createFile(atPath: stderrFile, contents: nil)
        process.executableURL = PaychanProcess.binary
        process.arguments = ["server", "--listen", listen, "--dir", directory] + extraArguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle(forWritingAtPath: stderrFile)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        output = out.fileHandleForReading
        // The first line says where it listens.
        let text = Self.readLine(output)
        guard let portText = text.split(separator: ":").last, let port = Int(portText) else {
            process.terminate()
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "server said: \(text)"])
        }
        self.port = port
    }

    var address: String { "127.0.0.1:\(port)" }

    /// The next line the server writes on standard output (after the first, which says where it
    /// listens: `metrics on HOST:PORT` with `--metrics`).
    func nextLine() -> String { Self.readLine(output) }

    private static func readLine(_ handle: FileHandle) -> String {
        var line = Data()
        while true {
            let byte = handle.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        return String(decoding: line, as: UTF8.self)
    }

    /// The server's log so far.
    var log: String { (try? String(contentsOfFile: stderrFile, encoding: .utf8)) ?? "" }

    /// Sends SIGTERM and waits; returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Sends SIGKILL (no chance to clean up) and waits until it is gone.
    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { if process.isRunning { process.terminate() } }
}

/// A temporary directory removed when dropped.
final class ScratchDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("paychan-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
