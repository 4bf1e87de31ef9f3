import BitcoinPrimitives
import ChannelManager
import Foundation
import Synchronization

/// Real regtest blocks recorded from Bitcoin Core by `Scripts/record-reorg-blocks` (see
/// Fixtures/regtest-reorg/README.md): a funding F in block 102, a settlement-like S spending F:0
/// in block 103, block 104 on top ("before"); then a 2-block reorg to three blocks without S
/// ("after"); then S mined again in block 106 ("again").
struct RecordedReorg: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    enum Phase: String, CaseIterable, Sendable {
        case before, after, again
    }

    private struct Scenario: Decodable {
        struct Outpoint: Decodable {
            let txid: String
            let index: UInt32
        }
        let bitcoind_subversion: String
        let phases: [String: [String]]
        let funding_txid: String
        let watched_outpoint: Outpoint
        let settlement_txid: String
        let settlement_hex: String
        let settlement_block: String
        let wallet_script_hex: String
    }

    /// Every recorded block by hash, with its height.
    let blocks: [Hash256: (height: Int, block: Block)]
    /// The best chain's hashes (genesis first) in each phase.
    let phases: [Phase: [Hash256]]
    let coreVersion: String
    let fundingTxid: Hash256
    let watchedOutpoint: OutPoint
    let settlement: Transaction
    let settlementBlock: Hash256
    let walletScript: Script

    /// Loads the fixture, parsing every block strictly.
    static func load() throws -> RecordedReorg {
        let scenarioData = try Data(contentsOf: try url("scenario", "json"))
        let scenario = try JSONDecoder().decode(Scenario.self, from: scenarioData)
        let lines = try String(contentsOf: try url("blocks", "txt"), encoding: .utf8).split(separator: "\n")
        var blocks: [Hash256: (height: Int, block: Block)] = [:]
        for line in lines {
            let fields = line.split(separator: " ")
            guard fields.count == 3, let height = Int(fields[0]), let hash = Hash256(displayHex: String(fields[1]))
            else { throw Failure(description: "bad line in blocks.txt: \(line.prefix(80))") }
            let block = try Block(hex: String(fields[2]))
            guard block.hash == hash else { throw Failure(description: "block \(hash) hashes to \(block.hash)") }
            blocks[hash] = (height, block)
        }
        var phases: [Phase: [Hash256]] = [:]
        for phase in Phase.allCases {
            phases[phase] = try (scenario.phases[phase.rawValue] ?? []).map { try hash($0) }
        }
        guard let script = [UInt8](hex: scenario.wallet_script_hex) else { throw Failure(description: "script") }
        return RecordedReorg(
            blocks: blocks, phases: phases, coreVersion: scenario.bitcoind_subversion,
            fundingTxid: try hash(scenario.funding_txid),
            watchedOutpoint: OutPoint(
                txid: try hash(scenario.watched_outpoint.txid), index: scenario.watched_outpoint.index),
            settlement: try Transaction(hex: scenario.settlement_hex),
            settlementBlock: try hash(scenario.settlement_block),
            walletScript: Script(bytes: script))
    }

    /// The best chain of `phase`.
    func chain(_ phase: Phase) -> [Hash256] { phases[phase] ?? [] }

    /// The position of the block at `height` on the best chain of `phase`.
    func position(_ phase: Phase, _ height: Int) -> BlockPosition {
        BlockPosition(height: height, hash: chain(phase)[height])
    }

    private static func hash(_ hex: String) throws -> Hash256 {
        guard let hash = Hash256(displayHex: hex) else { throw Failure(description: "bad hash \(hex)") }
        return hash
    }

    private static func url(_ name: String, _ ext: String) throws -> URL {
        guard let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures/regtest-reorg")
        else { throw Failure(description: "Fixtures/regtest-reorg/\(name).\(ext) is not in the test bundle") }
        return url
    }
}

/// A ``BlockSource`` serving recorded blocks, whose best chain the test sets (a node that
/// reorganizes between polls).
final class RecordedBlockSource: BlockSource {
    private let recording: RecordedReorg
    private let best: Mutex<[Hash256]>

    init(_ recording: RecordedReorg, phase: RecordedReorg.Phase) {
        self.recording = recording
        best = Mutex(recording.chain(phase))
    }

    /// Makes the best chain that of `phase`, cut at `height` if given.
    func set(_ phase: RecordedReorg.Phase, upTo height: Int? = nil) {
        let chain = recording.chain(phase)
        best.withLock { $0 = Array(chain.prefix((height ?? chain.count - 1) + 1)) }
    }

    func bestTip() async throws(ChainError) -> BlockPosition {
        try best.withLock { chain throws(ChainError) in
            guard let last = chain.last else { throw ChainError(.unavailable, "no chain") }
            return BlockPosition(height: chain.count - 1, hash: last)
        }
    }

    func blockHash(atHeight height: Int) async throws(ChainError) -> Hash256? {
        best.withLock { $0.indices.contains(height) ? $0[height] : nil }
    }

    func block(_ hash: Hash256) async throws(ChainError) -> Block? {
        recording.blocks[hash]?.block
    }

    func header(_ hash: Hash256) async throws(ChainError) -> ChainHeader? {
        recording.blocks[hash].map { ChainHeader(header: $0.block.header, height: $0.height) }
    }
}
