import Foundation
import Testing

/// Another process (the sqlite3 program) holding an SQLite store's write lock until ``release()``:
/// the store's writer waits for it (up to its 5 s busy timeout), so nothing commits meanwhile.
final class StoreLock {
    static var available: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3") }

    private let process = Process()
    private let commands = Pipe()

    /// Returns once the lock is held.
    init(database: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [database]
        let said = Pipe()
        process.standardInput = commands
        process.standardOutput = said
        process.standardError = said
        try process.run()
        commands.fileHandleForWriting.write(Data("BEGIN IMMEDIATE;\nSELECT 'locked';\n".utf8))
        let answer = String(decoding: said.fileHandleForReading.availableData, as: UTF8.self)
        #expect(answer.contains("locked"), "sqlite3 said: \(answer)")
    }

    func release() {
        guard process.isRunning else { return }
        commands.fileHandleForWriting.write(Data("ROLLBACK;\n.quit\n".utf8))
        try? commands.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    deinit { release() }
}
