import BitcoinPrimitives
import Foundation
import Synchronization

/// Appends the hex of transactions to a file, one per line, synced (`--tx-log`).
final class TransactionLog: Sendable {
    private let handle: Mutex<FileHandle>

    init(path: String) throws(CommandFailure) {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw CommandFailure("cannot create the transaction log \(path)")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw CommandFailure("cannot open the transaction log \(path)")
        }
        handle.seekToEndOfFile()
        self.handle = Mutex(handle)
    }

    func append(_ transaction: Transaction) {
        let line = Data((transaction.serialized.hex + "\n").utf8)
        handle.withLock { handle in
            handle.write(line)
            try? handle.synchronize()
        }
    }
}
