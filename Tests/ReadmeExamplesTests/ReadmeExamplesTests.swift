import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Foundation
import Testing

@Suite("The README's three examples compile, run, and match the README and the DocC articles")
struct ReadmeExamplesTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let packageRoot = sources.deletingLastPathComponent().deletingLastPathComponent()

    /// The file holding each example's code, and the documents that show it: the README and
    /// the DocC article of the example's layer.
    static let examples: [String: (file: String, documents: [String])] = [
        "raw": (
            "RawMachinesExample.swift",
            ["README.md", "Sources/ChannelStateMachine/ChannelStateMachine.docc/RawStateMachines.md"]
        ),
        "manager": (
            "ManagerExample.swift",
            ["README.md", "Sources/ChannelManager/ChannelManager.docc/ManagerOverYourConnection.md"]
        ),
        "tcp": ("TCPExample.swift", ["README.md", "Sources/ChannelTCP/ChannelTCP.docc/FullStackOverTCP.md"]),
    ]

    @Test(
        "each example in the README and the DocC articles is the code between its markers here",
        arguments: ["raw", "manager", "tcp"])
    func documentsMatchSources(name: String) throws {
        let example = try #require(Self.examples[name])
        let source = try String(contentsOf: Self.sources.appendingPathComponent(example.file), encoding: .utf8)
        let inSource = try #require(Self.region(of: source, name: name), "no markers for \(name)")
        for document in example.documents {
            let text = try String(contentsOf: Self.packageRoot.appendingPathComponent(document), encoding: .utf8)
            let shown = try #require(Self.documentBlock(of: text, name: name), "no \(name) block in \(document)")
            #expect(shown == inSource, "\(document)'s \(name) example differs from \(example.file)")
        }
    }

    @Test("raw machines: open, ten payments, close with a settlement")
    func raw() throws {
        let settlement = try #require(try rawMachinesExample())
        // The client keeps what it did not pay: the initial 1000 sat and ten payments of 1000.
        let clientKey = try PrivateKey(secretBytes: [UInt8](repeating: 0x22, count: 32))
        let change = settlement.outputs.first { $0.scriptPubKey == .p2pkh(publicKey: clientKey.publicKey) }
        #expect(change?.value == (try Amount(satoshis: 989_000)))
    }

    @Test("the manager over an in-memory pipe with SQLite stores")
    func manager() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("readme-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let (receipt, settlement) = try await managerExample(directory: directory.path)
        #expect(receipt.amount == (try Amount(satoshis: 1_000)))
        #expect(receipt.info == Array("coffee".utf8))
        #expect(settlement != nil)
    }

    @Test("the full stack over loopback TCP")
    func tcp() async throws {
        let clock = ManualClock(now: 1_750_000_000)
        let chain = MemoryChain(clock: clock)
        let serverKeys = try ChannelKeychain(seed: [UInt8](repeating: 3, count: 32))
        let payout = Script.p2wpkh(publicKey: try serverKeys.key(.walletReceive, index: 0).publicKey)
        let server = try ServerManager(
            config: ServerManagerConfig(channel: ServerChannelConfig(payoutScript: payout)),
            store: InMemoryChannelStore(clock: clock), chain: chain, keychain: serverKeys, clock: clock)
        try await server.start()
        let clientKeys = try ChannelKeychain(seed: [UInt8](repeating: 4, count: 32))
        let clientStore = InMemoryChannelStore(clock: clock)
        let wallet = try await SeedWallet(keychain: clientKeys, store: clientStore, chain: chain)
        try await chain.fund(wallet, amount: try Amount(satoshis: 1_000_000))
        let client = ClientManager(
            config: ClientManagerConfig(), store: clientStore, chain: chain, funder: wallet, keychain: clientKeys,
            clock: clock)
        try await client.start()
        let settlement = try #require(try await tcpExample(server: server, client: client))
        let record = try #require(try await clientStore.clientChannels(serverID: nil, in: [.settled]).first)
        #expect(record.settlement == settlement)
        #expect(record.paidToServer == (try Amount(satoshis: 2_000)))
    }

    /// The lines between `// README <name> begin` and `// README <name> end`, without their
    /// common indentation.
    static func region(of source: String, name: String) -> [String]? {
        let lines = source.components(separatedBy: "\n")
        guard
            let begin = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "// README \(name) begin" }
            ),
            let end = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "// README \(name) end" }),
            begin < end
        else { return nil }
        return dedent(Array(lines[(begin + 1)..<end]))
    }

    /// The ```swift block that follows `<!-- example: <name> -->` in a Markdown document.
    static func documentBlock(of document: String, name: String) -> [String]? {
        let lines = document.components(separatedBy: "\n")
        guard let marker = lines.firstIndex(of: "<!-- example: \(name) -->"),
            let open = lines[marker...].firstIndex(of: "```swift"),
            let close = lines[(open + 1)...].firstIndex(of: "```")
        else { return nil }
        return dedent(Array(lines[(open + 1)..<close]))
    }

    static func dedent(_ lines: [String]) -> [String] {
        let indent =
            lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            .map { $0.prefix(while: { $0 == " " }).count }.min() ?? 0
        return lines.map { $0.count >= indent ? String($0.dropFirst(indent)) : "" }
    }
}
