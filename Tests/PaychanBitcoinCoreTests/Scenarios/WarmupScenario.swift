import PaychanBitcoinCore
import Testing

/// The first calls to a node that has just written its cookie: Core answers -28 while it
/// loads, and the client tries again until it answers.
enum WarmupScenario {
    static let name = "warmup"

    static func run(_ node: RecordedNode) async throws {
        let info = try await node.chain().checkNode()
        #expect(info.network == .regtest)
    }
}
