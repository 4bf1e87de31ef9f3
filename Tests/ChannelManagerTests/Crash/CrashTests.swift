import Foundation
import Testing

/// The crash requirement, with real SQLite files and a real SIGKILL: for every step of open,
/// pay and close, the process (`paychan-crash-child`, running a server manager and a client
/// manager) dies at that step; after a restart on the same files no acknowledged payment is
/// lost, the client never believes it has more than it signed away, and the channel is resumed
/// or can be settled (server) and refunded (client).
@Suite("Crash: SIGKILL at every step of open/pay/close, then recovery", .serialized)
struct CrashTests {
    /// Cases run this many at a time (each is two processes in turn).
    static let width = 2

    /// How the child runs. Its stores hand writes to SQLite either as in production (`eager`:
    /// the writer thread commits them on its own timing) or only once someone waits for them
    /// (`lazy`: the worst case, a write nobody waited for is lost with the process); it makes
    /// its payments one after the other, or all at once (`pipelined`).
    enum Variant: String, Sendable, CaseIterable, CustomStringConvertible {
        case eager
        case lazy
        case lazyPipelined

        var arguments: [String] {
            switch self {
            case .eager: return []
            case .lazy: return ["--lazy-store"]
            case .lazyPipelined: return ["--lazy-store", "--pipelined"]
            }
        }

        var description: String {
            switch self {
            case .eager: return "eager store"
            case .lazy: return "lazy store"
            case .lazyPipelined: return "lazy store, pipelined payments"
            }
        }
    }

    @Test(
        "killed before and after every message, after every commit and every ACK, then recovered",
        arguments: [1, 2], Variant.allCases)
    func everyStep(protocolVersion: Int, variant: Variant) async throws {
        let started = ContinuousClock.now
        // One run without a crash tells how many messages, durability points and ACKs there are.
        let reference = try await Self.fullRun(protocolVersion: protocolVersion, variant: variant)
        let messages = try #require(reference.messages, "the uncrashed run printed no MESSAGES")
        let commits = try #require(reference.commits, "the uncrashed run printed no COMMITS")
        let acks = try #require(reference.acks, "the uncrashed run printed no ACKS")
        #expect(messages >= (protocolVersion == 1 ? 19 : 17), "fewer messages than open, 5 payments and close need")
        #expect(commits >= 10, "fewer durability points than open, 5 payments and close need")
        #expect(acks == 6, "the uncrashed run acknowledged \(acks) payments, not 6")
        #expect(reference.acknowledged.values.max() == 6000, "the uncrashed run did not acknowledge 6000 sat")

        var points: [(flag: String, index: Int)] = []
        for k in 1...max(messages, 1) { points += [("--pause-before", k), ("--pause-after", k)] }
        for n in 1...max(commits, 1) { points.append(("--pause-after-commit", n)) }
        for n in 1...max(acks, 1) { points.append(("--pause-after-ack", n)) }
        let jobs = points.map { point in
            { @Sendable in
                await Self.crashAndRecover(
                    protocolVersion: protocolVersion, variant: variant, point.flag, point.index)
            }
        }
        let outcomes = await Self.run(jobs, width: Self.width)
        for outcome in outcomes where !outcome.problems.isEmpty {
            Issue.record("\(outcome.label):\n\(outcome.problems.joined(separator: "\n"))")
        }
        let kills = outcomes.filter(\.killed).count
        #expect(kills == points.count, "only \(kills) of \(points.count) cases were killed at their point")
        let elapsed = ContinuousClock.now - started
        print(
            "crash v\(protocolVersion), \(variant): \(kills) kills (\(messages) messages × before/after, "
                + "\(commits) commits, \(acks) ACKs), each recovered, in "
                + "\(elapsed.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))")
    }

    @Test("killed at 20 random moments in a row on the same files, recovering in between", arguments: [1, 2])
    func randomKills(protocolVersion: Int) async throws {
        let seed = UInt64(ProcessInfo.processInfo.environment["PAYCHAN_CRASH_SEED"] ?? "") ?? 20_251_125
        var random = SplitMix64(seed: seed &+ UInt64(protocolVersion))
        // How long starting up (until the state found is printed) and the work take here.
        let (startup, work) = try await Self.timeRecoveryRun(protocolVersion: protocolVersion)

        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let arguments = ["--dir", directory, "--protocol", "\(protocolVersion)", "--recover"]
        var acknowledged: [String: Int64] = [:]
        var kills = 0
        var attempts = 0
        var phases: [String: Int] = [:]
        var resumed = 0
        var problems: [String] = []
        while kills < 20, attempts < 60, problems.isEmpty {
            attempts += 1
            let child = try CrashChildProcess(arguments)
            // One kill in five lands while the process starts (opening seeds and stores, reading
            // what the last one left), the others once it has printed that: while the managers
            // start and recover, and while it pays and closes.
            if random.next() % 5 == 0 {
                try await Task.sleep(for: startup * random.fraction())
            } else {
                _ = await child.readUntil("STATE")
                try await Task.sleep(for: work * (1.1 * random.fraction()))
            }
            child.kill()
            let exit = await child.waitForExit()
            let transcript = CrashTranscript(child.lines)
            let label = "random kill \(kills + 1) (attempt \(attempts), seed \(seed))"
            if exit == CrashChildProcess.Exit(signaled: true, status: SIGKILL) {
                kills += 1
                phases[transcript.phase, default: 0] += 1
                if transcript.reopened?.resumed == true { resumed += 1 }
            } else if exit != CrashChildProcess.Exit(signaled: false, status: 0) || !transcript.done {
                problems.append("\(label): the child \(exit) before the kill\n\(child.diagnosis())")
            }
            problems += transcript.problems.map { "\(label): \($0)" }
            if let state = transcript.state {
                let found = CrashInvariants.check(state, acknowledged: acknowledged, "\(label), state found")
                if !found.isEmpty { problems.append(found.joined(separator: "\n") + "\n" + child.diagnosis()) }
            }
            acknowledged = CrashInvariants.merge(acknowledged, transcript.acknowledged)
        }
        #expect(kills == 20, "only \(kills) kills in \(attempts) attempts")

        // A last recovery, left to finish.
        let last = try CrashChildProcess(arguments)
        let exit = await last.waitForExit()
        let transcript = CrashTranscript(last.lines)
        if exit != CrashChildProcess.Exit(signaled: false, status: 0) || !transcript.done {
            problems.append("final recovery \(exit)\n\(last.diagnosis())")
        } else if let state = transcript.state {
            var found = CrashInvariants.check(state, acknowledged: acknowledged, "final recovery, state found")
            found += CrashInvariants.checkFinal(
                transcript, acknowledged: CrashInvariants.merge(acknowledged, transcript.acknowledged))
            found += transcript.problems
            if !found.isEmpty { problems.append(found.joined(separator: "\n") + "\n" + last.diagnosis()) }
        } else {
            problems.append("final recovery printed no STATE\n\(last.diagnosis())")
        }
        for problem in problems { Issue.record("\(problem)") }
        let phaseCounts = phases.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        print(
            "crash v\(protocolVersion): \(kills) random kills in a row (seed \(seed); killed while \(phaseCounts); "
                + "\(resumed) had resumed the stored channel), \(acknowledged.count) channel(s) with acknowledged payments"
        )
    }

    @Test("a channel the server never stored does not keep the client from resuming its open one", arguments: [1, 2])
    func neverStoredChannelDoesNotBlockResumption(protocolVersion: Int) async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let base = ["--dir", directory, "--protocol", "\(protocolVersion)", "--lazy-store"]
        // Killed as the server gets PROVIDE_CONTRACT, before it stores it: the client holds (and
        // must keep, for its refund) a channel the server never heard of.
        let provideContract = protocolVersion == 1 ? 6 : 4
        _ = try await Self.killWhenPaused(base + ["--pause-after", "\(provideContract)"])
        // The next run opens another channel, pays once, and is killed: that one is open on both
        // sides.
        let second = try await Self.killWhenPaused(base + ["--recover", "--pause-after-ack", "2"])
        let open = try #require(second.reopened, "the second run printed no REOPENED")
        #expect(!open.resumed)
        // The next run resumes it, rather than offering the unknown channel again and funding a
        // third.
        let last = try CrashChildProcess(base + ["--recover"])
        let exit = await last.waitForExit()
        let recovery = CrashTranscript(last.lines)
        try #require(exit == CrashChildProcess.Exit(signaled: false, status: 0), "\(exit)\n\(last.diagnosis())")
        let reopened = try #require(recovery.reopened, "no REOPENED\n\(last.diagnosis())")
        #expect(reopened.resumed && reopened.contract == open.contract, "\(last.diagnosis())")
        let state = try #require(recovery.state, "no STATE\n\(last.diagnosis())")
        var problems = CrashInvariants.check(state, acknowledged: second.acknowledged, "state found")
        problems += CrashInvariants.checkResumed(state, recovery: recovery)
        problems += CrashInvariants.checkFinal(
            recovery, acknowledged: CrashInvariants.merge(second.acknowledged, recovery.acknowledged))
        for problem in problems { Issue.record("\(problem)\n\(last.diagnosis())") }
    }

    // MARK: Cases

    struct Outcome: Sendable {
        let label: String
        var problems: [String] = []
        var killed = false
    }

    /// Starts a run pausing at `flag index`, kills it there, recovers, and checks.
    static func crashAndRecover(protocolVersion: Int, variant: Variant, _ flag: String, _ index: Int) async
        -> Outcome
    {
        var outcome = Outcome(label: "v\(protocolVersion), \(variant): \(flag) \(index)")
        let directory: String
        do { directory = try temporaryDirectory() } catch {
            outcome.problems.append("no temporary directory: \(error)")
            return outcome
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let base = ["--dir", directory, "--protocol", "\(protocolVersion)"] + variant.arguments
        do {
            let crashing = try CrashChildProcess(base + [flag, "\(index)"])
            let stop = await crashing.readUntil("PAUSED", "DONE", "FAILED")
            crashing.kill()
            let exit = await crashing.waitForExit()
            guard let stop, stop.hasPrefix("PAUSED") else {
                outcome.problems.append("the child never paused (\(exit))\n\(crashing.diagnosis())")
                return outcome
            }
            guard exit == CrashChildProcess.Exit(signaled: true, status: SIGKILL) else {
                outcome.problems.append("the child was not killed by SIGKILL: \(exit)\n\(crashing.diagnosis())")
                return outcome
            }
            outcome.killed = true
            let crash = CrashTranscript(crashing.lines)

            let recovering = try CrashChildProcess(base + ["--recover"])
            let recoveryExit = await recovering.waitForExit()
            let recovery = CrashTranscript(recovering.lines)
            var problems = crash.problems + recovery.problems
            if recoveryExit != CrashChildProcess.Exit(signaled: false, status: 0) || !recovery.done {
                problems.append("the recovery \(recoveryExit)")
            } else if let state = recovery.state {
                problems += CrashInvariants.check(state, acknowledged: crash.acknowledged, "state after the kill")
                problems += CrashInvariants.checkResumed(state, recovery: recovery)
                problems += CrashInvariants.checkFinal(
                    recovery, acknowledged: CrashInvariants.merge(crash.acknowledged, recovery.acknowledged))
            } else {
                problems.append("the recovery printed no STATE")
            }
            if !problems.isEmpty {
                outcome.problems = problems + ["paused at: \(stop)", crashing.diagnosis(), recovering.diagnosis()]
            }
        } catch {
            outcome.problems.append("\(error)")
        }
        return outcome
    }

    /// Runs the child until it pauses, kills it there, and returns what it printed.
    static func killWhenPaused(_ arguments: [String]) async throws -> CrashTranscript {
        let child = try CrashChildProcess(arguments)
        let stop = await child.readUntil("PAUSED", "DONE", "FAILED")
        child.kill()
        let exit = await child.waitForExit()
        try #require(stop?.hasPrefix("PAUSED") == true, "the child never paused (\(exit))\n\(child.diagnosis())")
        try #require(
            exit == CrashChildProcess.Exit(signaled: true, status: SIGKILL),
            "the child was not killed by SIGKILL: \(exit)\n\(child.diagnosis())")
        let transcript = CrashTranscript(child.lines)
        try #require(transcript.problems.isEmpty, "\(transcript.problems)\n\(child.diagnosis())")
        return transcript
    }

    /// A whole run without a crash, which must succeed.
    static func fullRun(protocolVersion: Int, variant: Variant) async throws -> CrashTranscript {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let child = try CrashChildProcess(
            ["--dir", directory, "--protocol", "\(protocolVersion)"] + variant.arguments)
        let exit = await child.waitForExit()
        let transcript = CrashTranscript(child.lines)
        try #require(
            exit == CrashChildProcess.Exit(signaled: false, status: 0) && transcript.done
                && transcript.problems.isEmpty,
            "the uncrashed run failed (\(exit)): \(transcript.problems)\n\(child.diagnosis())")
        return transcript
    }

    /// How long a recovery on a fresh directory takes until it printed the state it found, and
    /// after.
    static func timeRecoveryRun(protocolVersion: Int) async throws -> (startup: Duration, work: Duration) {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = ContinuousClock()
        let start = clock.now
        let child = try CrashChildProcess(["--dir", directory, "--protocol", "\(protocolVersion)", "--recover"])
        _ = await child.readUntil("STATE")
        let opened = clock.now
        let exit = await child.waitForExit()
        try #require(
            exit == CrashChildProcess.Exit(signaled: false, status: 0),
            "the timing run failed (\(exit))\n\(child.diagnosis())")
        return (opened - start, clock.now - opened)
    }

    // MARK: Helpers

    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("paychan-crash-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    /// Runs `jobs` at most `width` at a time; results in the jobs' order.
    static func run<T: Sendable>(_ jobs: [@Sendable () async -> T], width: Int) async -> [T] {
        await withTaskGroup(of: (Int, T).self) { group in
            var results: [Int: T] = [:]
            var next = 0
            for _ in 0..<min(width, jobs.count) {
                let index = next
                group.addTask { (index, await jobs[index]()) }
                next += 1
            }
            while let (index, result) = await group.next() {
                results[index] = result
                if next < jobs.count {
                    let index = next
                    group.addTask { (index, await jobs[index]()) }
                    next += 1
                }
            }
            return jobs.indices.compactMap { results[$0] }
        }
    }
}

/// A small seeded generator (SplitMix64), so that a failing sequence of kills can be replayed
/// with `PAYCHAN_CRASH_SEED`.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in [0, 1).
    mutating func fraction() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
