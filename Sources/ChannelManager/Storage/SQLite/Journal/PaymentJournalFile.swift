import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The payment journal's file: a fixed number of blocks, written over in place.
///
/// - Writes go through `O_DSYNC` (and `O_DIRECT` where the file system allows it), so one
///   `pwrite` is durable when it returns: no separate sync, no page cache.
/// - The file is filled with zeros once, when created, so that a write never allocates a block
///   or changes the file's size: a journal write then costs the device one write and one flush,
///   with no file system journal commit.
/// - The owner holds an exclusive `flock` on it: a second store on the same database cannot
///   take the journal over (``open(path:blocks:)`` returns nil to it).
///
/// Not thread-safe: only the store's writer uses it, one run at a time.
final class PaymentJournalFile: @unchecked Sendable {
    let path: String
    /// Blocks in the file.
    let blocks: Int
    private var descriptor: Int32
    /// Bytes read from the file so far (for tests).
    private(set) var bytesRead = 0
    /// A block-aligned buffer of the whole file's size, for `O_DIRECT` writes and reads.
    private let buffer: UnsafeMutableRawBufferPointer

    var size: Int { blocks * PaymentJournalRecord.blockSize }

    private init(path: String, blocks: Int, descriptor: Int32) {
        self.path = path
        self.blocks = blocks
        self.descriptor = descriptor
        // Left uninitialized: only bytes a read or a write put there are ever looked at, and
        // the pages of a large journal stay untouched until used.
        buffer = .allocate(
            byteCount: blocks * PaymentJournalRecord.blockSize, alignment: PaymentJournalRecord.blockSize)
    }

    deinit {
        close()
        buffer.deallocate()
    }

    /// Opens (creating when absent) and locks the journal file; nil when another open store
    /// holds its lock.
    static func open(path: String, blocks: Int) throws(StoreError) -> PaymentJournalFile? {
        let flags = O_RDWR | O_CREAT | O_CLOEXEC | O_DSYNC
        var descriptor = Glibc.open(path, flags | directIO, 0o600)
        if descriptor < 0 && errno == EINVAL && directIO != 0 {
            // A file system without direct I/O (tmpfs): the page cache then, still O_DSYNC.
            descriptor = Glibc.open(path, flags, 0o600)
        }
        guard descriptor >= 0 else { throw systemError("cannot open the payment journal \(path)") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            _ = Glibc.close(descriptor)
            if code == EWOULDBLOCK { return nil }
            errno = code
            throw systemError("cannot lock the payment journal \(path)")
        }
        return PaymentJournalFile(path: path, blocks: max(1, blocks), descriptor: descriptor)
    }

    /// `O_DIRECT`, which Swift's Glibc module leaves out (it needs `_GNU_SOURCE`).
    #if arch(x86_64)
        private static let directIO: Int32 = 0o40000
    #elseif arch(arm64)
        private static let directIO: Int32 = 0o200000
    #else
        private static let directIO: Int32 = 0
    #endif

    /// Releases the lock and closes the file. Calling it again does nothing.
    func close() {
        guard descriptor >= 0 else { return }
        _ = Glibc.close(descriptor)
        descriptor = -1
    }

    /// The file's first `count` bytes (at most ``size``; whole blocks; a shorter file reads
    /// short).
    func withPrefix<T>(_ count: Int, _ body: (UnsafeRawBufferPointer) -> T) throws(StoreError) -> T {
        let limit = prefixLimit(count)
        var total = 0
        while total < limit {
            let count = pread(descriptor, buffer.baseAddress! + total, limit - total, off_t(total))
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw Self.systemError("cannot read the payment journal \(path)") }
            if count == 0 { break }
            total += count
            // Direct I/O reads at block offsets only: a short read ends the file.
            if total % PaymentJournalRecord.blockSize != 0 { break }
        }
        bytesRead += total
        // O_DIRECT reads whole blocks: a partial last block counts as missing.
        let whole = total / PaymentJournalRecord.blockSize * PaymentJournalRecord.blockSize
        return body(UnsafeRawBufferPointer(rebasing: buffer[0..<whole]))
    }

    /// Fills the file with zeros to its full size, then syncs it and its directory, unless it
    /// already has that size.
    func preallocate() throws(StoreError) {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw Self.systemError("cannot stat \(path)") }
        guard Int(status.st_size) != size else { return }
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        try write(count: size, at: 0)
        guard ftruncate(descriptor, off_t(size)) == 0, fsync(descriptor) == 0 else {
            throw Self.systemError("cannot size the payment journal \(path)")
        }
        try Self.syncDirectory(of: path)
    }

    /// Writes `record` zero-padded to `size` bytes (whole blocks) at `offset`; durable when this
    /// returns.
    func write(_ record: [UInt8], paddedTo size: Int, at offset: Int) throws(StoreError) {
        guard offset >= 0, size >= record.count, size % PaymentJournalRecord.blockSize == 0, offset + size <= self.size
        else {
            throw StoreError(.io, "payment journal write of \(size) bytes at \(offset) does not fit")
        }
        record.withUnsafeBytes { buffer.copyMemory(from: $0) }
        UnsafeMutableRawBufferPointer(rebasing: buffer[record.count..<size]).initializeMemory(
            as: UInt8.self, repeating: 0)
        try write(count: size, at: offset)
    }

    private func write(count: Int, at offset: Int) throws(StoreError) {
        var done = 0
        while done < count {
            let written = pwrite(descriptor, buffer.baseAddress! + done, count - done, off_t(offset + done))
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw Self.systemError("cannot write the payment journal \(path)") }
            done += written
        }
    }

    private static func syncDirectory(of path: String) throws(StoreError) {
        let directory = (path as NSString).deletingLastPathComponent
        let descriptor = Glibc.open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw systemError("cannot open \(directory)") }
        defer { _ = Glibc.close(descriptor) }
        guard fsync(descriptor) == 0 else { throw systemError("cannot sync \(directory)") }
    }

    private static func systemError(_ context: String) -> StoreError {
        StoreError(.io, "\(context): \(String(cString: strerror(errno)))")
    }
}
