import PaychanBitcoinCore
import PaychanTestSupport
import Testing

/// Each scenario replayed from its recording (always), and run against a real regtest node
/// when `PAYCHAN_BITCOIND` names one (recording it anew with `PAYCHAN_RECORD=1`).
@Suite struct RecordedScenarioTests {
    static let scenarios: [(String, @Sendable (RecordedNode) async throws -> Void)] = [
        (NodeStartScenario.name, NodeStartScenario.run),
        (BroadcastScenario.name, BroadcastScenario.run),
        (LockTimeScenario.name, LockTimeScenario.run),
        (DialectScenario.name, DialectScenario.run),
        (WarmupScenario.name, WarmupScenario.run),
        (BlockSourceScenario.name, BlockSourceScenario.run),
        (PaymentScenario.name, PaymentScenario.run),
        (ScanScenario.name, ScanScenario.run),
        (NodeWalletFundingScenario.name, NodeWalletFundingScenario.run),
    ]

    @Test(arguments: scenarios.map(\.0))
    func replayed(_ name: String) async throws {
        guard !RecordedNode.isRecording, let scenario = Self.scenarios.first(where: { $0.0 == name }) else { return }
        try await RecordedNode.replay(name, scenario.1)
    }

    @Test(.enabled(if: BitcoindProcess.binaryFromEnvironment != nil), arguments: scenarios.map(\.0))
    func live(_ name: String) async throws {
        guard let binary = BitcoindProcess.binaryFromEnvironment,
            let scenario = Self.scenarios.first(where: { $0.0 == name })
        else { return }
        try await RecordedNode.live(name, binary: binary, record: RecordedNode.isRecording, scenario.1)
    }

    /// The warm-up recording holds Core's real -28 answers, which the client waited through.
    @Test func warmupRecordingHoldsCoresAnswer() throws {
        let recording = try Recording.load(WarmupScenario.name)
        #expect(recording.exchanges.contains { $0.response.contains("\"code\":-28") })
        #expect(recording.node.hasPrefix("/Satoshi:"))
    }
}
