import ChannelManager
import Foundation
import Logging

/// One entry of `paychan bench`: a setup, measured after a warm-up, producing one or more
/// results. New setups (such as the TCP figures) are new conforming types added to
/// ``BenchSuite/figures(_:)``.
protocol BenchFigure: Sendable {
    /// The names of the results this entry produces, for `--only` and progress messages.
    var names: [String] { get }
    /// Whether the figure must run before the others (right after the floor), though it is
    /// listed in its place: a memory figure needs a heap that earlier setups have not churned.
    var runsFirst: Bool { get }
    /// Builds the setup, measures it, tears it down.
    func run(_ context: BenchContext) async throws -> [BenchResult]
}

extension BenchFigure {
    var runsFirst: Bool { false }
}

/// What every figure gets: the run's sizes, the floor to compare with, scratch space.
struct BenchContext: Sendable {
    let settings: BenchSettings
    let floor: BenchFloor

    /// A new empty directory for one setup's files; remove it with ``BenchScratch/remove()``.
    func scratch() throws -> BenchScratch { try BenchScratch(parent: settings.scratchParent) }

    /// Prints a progress line on standard error (standard output is kept for the report).
    func progress(_ line: String) { BenchProgress.print(line) }
}

/// The entries of a run, in order.
enum BenchSuite {
    static func figures(_ settings: BenchSettings) -> [any BenchFigure] {
        var figures: [any BenchFigure] = [
            StateMachineFigure(),
            ManagerFigure(channels: 1),
            ManagerFigure(channels: settings.concurrentChannels),
            StoreScalingFigure(settledCounts: settings.settledChannelCounts),
            ServerMemoryFigure(),
            TCPPaymentFigure(name: "tcp-1ch", channels: 1, inFlight: 1, syncFloor: true),
            TCPPaymentFigure(name: "tcp-1ch-pipelined", channels: 1, inFlight: 64),
            TCPPaymentFigure(
                name: "tcp-\(settings.concurrentChannels)ch", channels: settings.concurrentChannels, inFlight: 1),
            TCPPaymentFigure(name: "tcp-1ch-tls", channels: 1, inFlight: 1, tls: true),
            TCPPaymentFigure(
                name: "tcp-\(settings.concurrentChannels)ch-tls", channels: settings.concurrentChannels, inFlight: 1,
                tls: true),
            TLSCostFigure(channels: settings.concurrentChannels),
            TCPOpenLatencyFigure(),
        ]
        if let postgres = settings.postgres {
            figures.append(TCPPaymentFigure(name: "tcp-1ch-postgres", channels: 1, inFlight: 1, postgres: postgres))
            figures.append(
                TCPPaymentFigure(
                    name: "tcp-\(settings.concurrentChannels)ch-postgres", channels: settings.concurrentChannels,
                    inFlight: 1, postgres: postgres, nodes: 2))
        }
        return figures
    }
}

/// Progress lines on standard error.
enum BenchProgress {
    static func print(_ line: String) {
        FileHandle.standardError.write(Data("bench: \(line)\n".utf8))
    }
}

/// Loggers for the managers under test: warnings and errors only, so that the per-channel info
/// lines neither flood the terminal nor cost time.
enum BenchLogging {
    static func quiet(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .warning
        return logger
    }
}

/// Tearing down in-memory connections.
enum BenchPipes {
    /// Cuts `pipe` and detaches what was attached to its ends. A session holds its end of the
    /// pipe and the end holds the session's handlers, so without the detaching the two (and
    /// through the session its manager, store and every record it keeps) outlive the run.
    static func disconnect(_ pipe: InMemoryPipe) {
        pipe.cut()
        pipe.clientEnd.attach({ _ in }, closed: {})
        pipe.serverEnd.attach({ _ in }, closed: {})
    }
}

/// A scratch directory for one setup's SQLite files.
final class BenchScratch: Sendable {
    let path: String

    init(parent: String) throws {
        let url = URL(fileURLWithPath: parent).appendingPathComponent("paychan-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = url.path
    }

    /// Deletes the directory and everything in it.
    func remove() { try? FileManager.default.removeItem(atPath: path) }

    deinit { remove() }
}

/// Why a bench run stopped.
struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
