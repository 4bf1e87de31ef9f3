import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Foundation
import Synchronization

/// A ``ClientChannel`` machine driven by what arrives on its end of an ``InMemoryPipe``, with
/// no store and no wallet: it funds the contract from a made-up input (the server cannot tell)
/// and ignores persists, broadcasts and timers. Enough to open channels on a server manager
/// without a client manager's memory mixed in.
final class RawClient: Sendable {
    private struct State {
        var machine: ClientChannel
        var opened: CheckedContinuation<Void, any Error>?
        var outcome: Result<Void, BenchFailure>?
    }

    private let state: Mutex<State>
    private let end: InMemoryPipe.End
    private let clock: any ManagerClock

    /// The made-up output every raw client's contract spends.
    private static let fundingOutpoint = OutPoint(txid: Hashing.sha256d(Array("bench raw client".utf8)), index: 0)

    init(machine: ClientChannel, end: InMemoryPipe.End, clock: any ManagerClock) {
        state = Mutex(State(machine: machine))
        self.end = end
        self.clock = clock
    }

    /// Starts the conversation; returns once the server sent `CHANNEL_OPEN`.
    func open() async throws {
        let now = clock.now()
        perform(state.withLock { $0.machine.start(now: now) })
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome = state.withLock { state -> Result<Void, BenchFailure>? in
                if state.outcome == nil { state.opened = continuation }
                return state.outcome
            }
            if let outcome { continuation.resume(with: outcome) }
        }
    }

    /// One message body from the server.
    @Sendable func receive(_ bytes: [UInt8]) {
        let now = clock.now()
        perform(state.withLock { $0.machine.receive(bytes: bytes, now: now) })
    }

    /// The pipe was cut.
    @Sendable func connectionClosed() {
        perform(state.withLock { $0.machine.connectionClosed() })
        finish(.failure(BenchFailure("raw client: the connection closed before the channel opened")))
    }

    private func perform(_ effects: [ClientEffect]) {
        for effect in effects {
            switch effect {
            case .send(let message):
                end.send(message.encoded())
            case .fundContract(let output):
                let contract = Transaction(
                    version: 2, inputs: [TransactionInput(previousOutput: Self.fundingOutpoint)], outputs: [output],
                    lockTime: 0)
                let now = clock.now()
                perform(state.withLock { $0.machine.contractFunded(contract, now: now) })
            case .report(.channelOpened):
                finish(.success(()))
            case .report(.closed(let reason)):
                finish(.failure(BenchFailure("raw client: the channel closed: \(reason)")))
            case .persist, .broadcast, .armTimer, .cancelTimer, .report, .closeConnection:
                break
            }
        }
    }

    /// Resumes whoever waits in ``open()``, once.
    private func finish(_ outcome: Result<Void, BenchFailure>) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            guard state.outcome == nil else { return nil }
            state.outcome = outcome
            defer { state.opened = nil }
            return state.opened
        }
        waiter?.resume(with: outcome.mapError { $0 as any Error })
    }
}
