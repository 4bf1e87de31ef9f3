import Foundation

/// Why the seed file could not be used.
public struct SeedFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The seed file's path.
    public let path: String
    /// What is wrong with it.
    public let message: String

    public var description: String { "seed file \(path): \(message)" }
}

/// The 32-byte secret every key of a Paychan instance derives from, kept in its own file apart
/// from the channel database (mode 0600, created when absent).
public enum SeedFile {
    /// The seed length in bytes.
    public static let length = 32

    /// Reads the seed at `path`, creating it with 32 random bytes (mode 0600, synced) when the
    /// file does not exist. Refuses a file of another length, or one readable by group or others.
    public static func loadOrCreate(at path: String) throws(SeedFileError) -> [UInt8] {
        if let seed = try read(at: path) { return seed }
        return try create(at: path)
    }

    /// Reads an existing seed, or returns nil when there is no file at `path`.
    public static func read(at path: String) throws(SeedFileError) -> [UInt8]? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw SeedFileError(path: path, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SeedFileError(path: path, message: "cannot stat: \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw SeedFileError(
                path: path,
                message: "permissions \(String(info.st_mode & 0o777, radix: 8)) let others read it; "
                    + "run chmod 600 on it")
        }
        guard info.st_size == length else {
            throw SeedFileError(path: path, message: "holds \(info.st_size) bytes, not \(length)")
        }
        var seed = [UInt8](repeating: 0, count: length)
        let count = seed.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, length) }
        guard count == length else { throw SeedFileError(path: path, message: "short read") }
        return seed
    }

    /// Writes the new seed whole to a temporary file, then links it to `path`: a process killed
    /// half-way never leaves a short file at `path` (which would be refused ever after).
    private static func create(at path: String) throws(SeedFileError) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        let seed = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let temporary = path + ".new-" + String(UInt64.random(in: 0...UInt64.max, using: &generator), radix: 16)
        let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw SeedFileError(path: path, message: "cannot create: \(String(cString: strerror(errno)))")
        }
        let written = seed.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, length) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == length, synced else {
            unlink(temporary)
            throw SeedFileError(path: path, message: "cannot write the new seed")
        }
        let linked = link(temporary, path) == 0
        let linkError = errno
        unlink(temporary)
        guard linked else {
            if linkError == EEXIST, let seed = try read(at: path) { return seed }  // another process won
            throw SeedFileError(path: path, message: "cannot create: \(String(cString: strerror(linkError)))")
        }
        syncDirectory(of: path)
        return seed
    }

    /// Makes the new file's directory entry durable.
    private static func syncDirectory(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let fd = Glibc.open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
