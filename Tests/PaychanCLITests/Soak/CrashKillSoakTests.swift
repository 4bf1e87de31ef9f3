import Foundation
import PaychanTestSupport
import Testing

/// The crash-kill soak (see `CrashKillSoak`). `PAYCHAN_SOAK_KILLS` sets the kills per side
/// (a few by default; docs/testing.md says how to run the full soak), `PAYCHAN_SOAK_SEED` the seed.
@Suite("crash-kill soak: real paychan processes SIGKILLed at random moments", .onDedicatedThreads, .serialized)
struct CrashKillSoakTests {
    @Test("the server is SIGKILLed during opens, payments and closes and restarted on the same directory and port")
    func serverKilled() throws {
        try soak(.server)
    }

    @Test("the client is SIGKILLed during opens, payments and closes and the next run reopens and continues")
    func clientKilled() throws {
        try soak(.client)
    }

    private func soak(_ victim: SoakVictim) throws {
        let settings = SoakSettings.fromEnvironment()
        print("crash-kill soak (\(victim.rawValue) killed): seed \(settings.seed), \(settings.kills) kills")
        let soak = try CrashKillSoak(victim: victim, settings: settings)
        let summary: CrashKillSoak.Summary
        do { summary = try soak.run() } catch {
            Issue.record("soak stopped (seed \(settings.seed), files in \(soak.root)): \(error)")
            return
        }
        print(summary)
        for problem in soak.problems { Issue.record("seed \(settings.seed): \(problem)") }
        #expect(summary.ledger.totalKills == settings.kills)
        #expect(summary.ledger.paymentsAcknowledged > 0)
        #expect(summary.serverChannels > 0)
        if settings.kills >= 30 {
            // Enough kills that every phase is hit.
            for phase in SoakPhase.allCases {
                #expect((summary.ledger.kills[phase] ?? 0) > 0, "no kill while \(phase)")
            }
        }
        if soak.problems.isEmpty { soak.removeFiles() } else { print("soak files kept in \(soak.root)") }
    }
}
