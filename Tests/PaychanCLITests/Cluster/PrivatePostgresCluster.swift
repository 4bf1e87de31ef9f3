import Foundation

/// A PostgreSQL cluster of one test's own, from `Scripts/postgres-cluster`, which the test may
/// stop (`pg_ctl stop -m immediate`) and start again without disturbing the shared cluster the
/// other tests use. Deleted when dropped.
final class PrivatePostgresCluster {
    /// `postgres://paychan@127.0.0.1:PORT/paychan`.
    let url: String
    let directory: String
    private let port: String
    private static let pgbin = "/usr/lib/postgresql/15/bin"
    private static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Scripts/postgres-cluster").path

    init() throws {
        let started = try Self.output(of: Self.script, ["start"])
        var values: [String: String] = [:]
        for line in started.split(separator: "\n") where line.hasPrefix("export ") {
            let pair = line.dropFirst("export ".count).split(separator: "=", maxSplits: 1)
            if pair.count == 2 { values[String(pair[0])] = String(pair[1]) }
        }
        guard let url = values["PAYCHAN_POSTGRES_URL"], let directory = values["PAYCHAN_POSTGRES_CLUSTER"],
            let port = url.split(separator: ":").last?.split(separator: "/").first
        else { throw Failure(description: "postgres-cluster start printed: \(started)") }
        self.url = url
        self.directory = directory
        self.port = String(port)
    }

    /// A fresh schema on this cluster, as `paychan server --store` takes it.
    func freshStoreURL(_ prefix: String) -> String {
        url + "?schema=" + prefix + "_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    /// `pg_ctl stop -m immediate`: every backend ends at once, no checkpoint.
    func stopImmediately() throws {
        _ = try Self.output(
            of: Self.pgbin + "/pg_ctl", ["-D", directory + "/data", "-m", "immediate", "-w", "stop"], asOwner: true)
    }

    /// Starts the stopped cluster again on the same port and socket (crash recovery runs first).
    func start() throws {
        let options =
            "-k \(directory)/socket -c listen_addresses=127.0.0.1 -p \(port) -c max_connections=200 "
            + "-c fsync=on -c synchronous_commit=on"
        _ = try Self.output(
            of:
                Self.pgbin + "/pg_ctl",
            ["-D", directory + "/data", "-l", directory + "/server.log", "-w", "-t", "60", "-o", options, "start"],
            asOwner: true)
    }

    /// One value from `query` run as the superuser on database `paychan`.
    func sql(_ query: String) throws -> String {
        try Self.output(
            of:
                Self.pgbin + "/psql",
            ["-h", directory + "/socket", "-p", port, "-U", "postgres", "-d", "paychan", "-At", "-c", query]
        ).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    deinit { _ = try? Self.output(of: Self.script, ["stop", directory]) }

    /// Runs a program to completion (as the `postgres` user when root and `asOwner`), returning its
    /// standard output. Spawned and reaped with `posix_spawn` and `waitpid`, its output written to
    /// a file: Foundation's `Process` never saw the script's shell exit once `pg_ctl` had started a
    /// daemon under `runuser` (the test hung in `waitUntilExit` with the shell a zombie).
    static func output(of program: String, _ arguments: [String], asOwner: Bool = false) throws -> String {
        let argv =
            asOwner && getuid() == 0
            ? ["/usr/sbin/runuser", "-u", "postgres", "--", program] + arguments : [program] + arguments
        let outputPath = NSTemporaryDirectory() + "paychan-pg-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, &cArguments, environ)
        guard spawned == 0 else { throw Failure(description: "\(argv) not started: errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw Failure(description: "\(argv): waitpid failed, errno \(errno)") }
        }
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // Exited normally with status 0: the low 7 bits (the signal) and the status byte are 0.
        guard status == 0 else { throw Failure(description: "\(argv) ended with wait status \(status): \(text)") }
        return text
    }

    /// A command of the cluster that failed.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }
}
