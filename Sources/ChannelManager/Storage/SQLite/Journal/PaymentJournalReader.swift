import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A source of a journal file's first bytes, for a replay that reads only as far as the
/// current cycle's records go (``SQLitePaymentJournal/replayable(in:identity:base:)``).
package protocol PaymentJournalPrefixReading {
    /// The file's size in bytes: the most a prefix holds.
    var size: Int { get }
    /// The file's first `count` bytes (at most ``size``; whole blocks; fewer when the file is
    /// shorter).
    func withPrefix<T>(_ count: Int, _ body: (UnsafeRawBufferPointer) -> T) throws(StoreError) -> T
}

extension PaymentJournalPrefixReading {
    /// How many bytes a prefix of `count` bytes holds at most: whole blocks, no more than the
    /// file.
    package func prefixLimit(_ count: Int) -> Int {
        min(max(0, count), size) / PaymentJournalRecord.blockSize * PaymentJournalRecord.blockSize
    }
}

extension PaymentJournalFile: PaymentJournalPrefixReading {}

/// A read-only view of a journal file that another store owns, for an observer's reads
/// (``PaymentJournalObserver``): no lock, plain `pread`s through the page cache (which the
/// owner's direct writes keep current), and only as far as a reader asks. Each read of the
/// observer opens one, so that it sees the file as it is then.
final class PaymentJournalReader: PaymentJournalPrefixReading {
    let path: String
    let size: Int
    /// Bytes read from the file so far (for tests).
    private(set) var bytesRead = 0
    private let descriptor: Int32
    /// The file's first bytes, as far as they were read.
    private var bytes: [UInt8] = []

    /// Opens the journal at `path` for reading; nil when there is no file there.
    init?(path: String) throws(StoreError) {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw Self.systemError("cannot open the payment journal \(path)")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let error = Self.systemError("cannot stat the payment journal \(path)")
            _ = Glibc.close(descriptor)
            throw error
        }
        self.path = path
        self.descriptor = descriptor
        // Whole blocks only: a record is never valid in a partial one.
        size = Int(status.st_size) / PaymentJournalRecord.blockSize * PaymentJournalRecord.blockSize
    }

    deinit { _ = Glibc.close(descriptor) }

    func withPrefix<T>(_ count: Int, _ body: (UnsafeRawBufferPointer) -> T) throws(StoreError) -> T {
        let limit = prefixLimit(count)
        if bytes.count < limit { try readMore(upTo: limit) }
        let available = min(bytes.count, limit)
        return bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[0..<available])) }
    }

    /// Extends ``bytes`` to `limit` bytes, or to the end of the file if it is shorter now.
    private func readMore(upTo limit: Int) throws(StoreError) {
        var total = bytes.count
        bytes += repeatElement(0, count: limit - total)
        defer { bytes.removeSubrange(total...) }
        while total < limit {
            let count = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress.map { $0 + total }, limit - total, off_t(total))
            }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw Self.systemError("cannot read the payment journal \(path)") }
            if count == 0 { break }
            total += count
            bytesRead += count
        }
        // Whole blocks only, as the file's own reads.
        total = total / PaymentJournalRecord.blockSize * PaymentJournalRecord.blockSize
    }

    private static func systemError(_ context: String) -> StoreError {
        StoreError(.io, "\(context): \(String(cString: strerror(errno)))")
    }
}
