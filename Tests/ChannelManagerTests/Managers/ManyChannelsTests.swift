import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Foundation
import Testing

@Suite("One server manager, 1000 channels")
struct ManyChannelsTests {
    static let sats = ManagerTestbed.sats
    static let channels = 1000
    static let paymentsPerChannel = 10

    @Test("concurrent payments on 1000 channels, every acknowledged payment durable in SQLite")
    func thousandChannels() async throws {
        let directory = try TemporaryDirectory()
        let bed = try await ManagerTestbed(
            stores: .sqlite(directory: directory.path), walletFunds: 2_000_000_000)
        // One coin per channel, so that funding does not wait on change.
        let script = try await bed.wallet.receiveScript()
        let coins = try bed.chain.fund(
            outputs: Array(
                repeating: TransactionOutput(value: Self.sats(300_000), scriptPubKey: script), count: Self.channels))
        try await bed.wallet.receive(coins)

        var sessions: [(ClientSession, OpenedChannel)] = []
        try await withThrowingTaskGroup(of: (ClientSession, OpenedChannel).self) { group in
            for index in 0..<Self.channels {
                group.addTask {
                    let (session, _, _) = try await bed.connect(serverID: "server-\(index)")
                    return (session, try await session.open(value: Self.sats(200_000)))
                }
            }
            for try await opened in group { sessions.append(opened) }
        }
        #expect(sessions.count == Self.channels)

        let started = Date()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (session, _) in sessions {
                group.addTask {
                    for _ in 0..<Self.paymentsPerChannel { try await session.pay(Self.sats(1_000)) }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = Date().timeIntervalSince(started)
        let payments = Self.channels * Self.paymentsPerChannel
        print(
            "1000 channels: \(payments) durable payments in \(String(format: "%.2f", elapsed)) s = "
                + "\(Int(Double(payments) / elapsed)) payments/s (debug build, both sides on SQLite)")

        // Everything acknowledged is in the server's file: reopen it and check every channel.
        await bed.server.shutdown()
        await bed.client.shutdown()
        let reopened = try SQLiteChannelStore(path: directory.path + "/server.sqlite", clock: bed.clock)
        for (_, opened) in sessions {
            let record = try #require(try await reopened.serverChannel(contractTxid: opened.contractTxid))
            #expect(record.state == .open)
            #expect(record.bestValueToServer == Self.sats(1_000 + 1_000 * Int64(Self.paymentsPerChannel)))
        }
    }
}

/// A directory under the system's temporary directory, removed when dropped.
final class TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("paychan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        path = base.path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
