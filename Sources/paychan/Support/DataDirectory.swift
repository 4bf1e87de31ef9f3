import ChannelManager
import Foundation

/// The files `paychan` keeps for one server or client: `channels.sqlite` (the channel store)
/// and `seed` (the 32-byte seed every key derives from, mode 0600), in a directory of mode 0700.
struct DataDirectory {
    let path: String

    var storePath: String { path + "/channels.sqlite" }
    var seedPath: String { path + "/seed" }

    /// Creates the directory (mode 0700) when it does not exist.
    func create() throws(CommandFailure) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw CommandFailure("\(path) exists and is not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw CommandFailure("cannot create \(path): \(error.localizedDescription)")
        }
    }

    /// Opens (creating when absent) the store. A read-only store never takes the payment
    /// journal, so it cannot keep a server or client starting beside it from writing.
    func openStore(clock: any ManagerClock, readOnly: Bool = false) throws(CommandFailure) -> SQLiteChannelStore {
        do { return try SQLiteChannelStore(path: storePath, clock: clock, readOnly: readOnly) } catch {
            throw CommandFailure("cannot open \(storePath): \(error)")
        }
    }

    /// Opens an existing store; fails when the directory holds none.
    func openExistingStore(clock: any ManagerClock, readOnly: Bool = false) throws(CommandFailure)
        -> SQLiteChannelStore
    {
        guard FileManager.default.fileExists(atPath: storePath) else {
            throw CommandFailure("no channel store in \(path) (expected \(storePath))")
        }
        return try openStore(clock: clock, readOnly: readOnly)
    }

    /// The keychain from the seed file, creating the seed when absent.
    func keychain() throws(CommandFailure) -> ChannelKeychain {
        do { return try ChannelKeychain(seed: try SeedFile.loadOrCreate(at: seedPath)) } catch let error
            as SeedFileError
        {
            throw CommandFailure(error.description)
        } catch {
            throw CommandFailure("cannot derive keys from \(seedPath): \(error)")
        }
    }
}

/// A failure the program reports in one line and turns into a non-zero exit status.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    /// The exit status: 1 for most failures.
    let exitCode: Int32

    init(_ description: String, exitCode: Int32 = 1) {
        self.description = description
        self.exitCode = exitCode
    }
}
