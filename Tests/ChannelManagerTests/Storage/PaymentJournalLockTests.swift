import BitcoinPrimitives
import ChannelStateMachine
import ChannelStoreConformance
import Foundation
import Testing

@testable import ChannelManager

#if canImport(Glibc)
    import Glibc
#endif

/// Holds the exclusive `flock` of a journal file, as the owning store of another process does;
/// ``release()`` is what that process's death does to the lock.
final class JournalLockHolder {
    private var descriptor: Int32

    init(path: String) throws {
        descriptor = open(path, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0, flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            if descriptor >= 0 { _ = close(descriptor) }
            throw StoreFixtures.Failure(description: "cannot lock \(path)")
        }
    }

    deinit { release() }

    func release() {
        guard descriptor >= 0 else { return }
        _ = close(descriptor)
        descriptor = -1
    }
}

/// A crash image whose journal is still locked, as by a live (then killed) owner in another
/// process: a store opened meanwhile observes the journal, and the next owner replays it.
@Suite("Payment journal held by another process", .serialized)
struct PaymentJournalLockTests {
    /// An image of a store whose payments (server 1001…1004, client value left 90…60) are in its
    /// journal alone; nil when an idle fold got there first.
    static func imageWithJournaledPayments(_ directory: URL) async throws -> String? {
        let live = directory.appendingPathComponent("store.sqlite").path
        let image = directory.appendingPathComponent("image.sqlite").path
        let store = try await PaymentJournalReplayTests.storeWithChannels(live)
        defer { store.close() }
        let server = try PaymentJournalReplayTests.servers[0]
        let client = try PaymentJournalReplayTests.clients[0]
        let foldedBefore = try JournalTesting.folded(live)
        for step in 1...4 {
            try await store.write([
                try JournalTesting.serverPayment(server, Int64(1_000 + step), signature: StoreFixtures.signature(step))
            ])
            try await store.write([try JournalTesting.clientPayment(client, Int64(100 - 10 * step))])
        }
        try JournalTesting.copyImage(of: live, to: image)
        guard try JournalTesting.folded(image) == foldedBefore,
            try JournalTesting.rawServerValue(image, server) == server.bestValueToServer.satoshis
        else { return nil }
        return image
    }

    @Test("a store opened while another process holds the journal sees its payments; the next owner replays them")
    func observedThenReplayed() async throws {
        try await JournalTesting.retryingUnderLoad { directory in
            guard let image = try await Self.imageWithJournaledPayments(directory) else { return false }
            let server = try PaymentJournalReplayTests.servers[0]
            let client = try PaymentJournalReplayTests.clients[0]
            let expectedServer = try JournalTesting.applying(1_004, signature: StoreFixtures.signature(4), to: server)
            let expectedClient = try JournalTesting.applying(60, to: client)

            let holder = try JournalLockHolder(path: image + "-paylog")
            let observer = try SQLiteChannelStore(path: image)
            #expect(!observer.usesPaymentJournal)
            #expect(try await observer.serverChannel(contractTxid: server.contractTxid) == expectedServer)
            #expect(try await observer.clientChannel(contractTxid: client.contractTxid) == expectedClient)
            // It read them from the journal: the database still has the old values.
            #expect(try JournalTesting.rawServerValue(image, server) == server.bestValueToServer.satoshis)
            // The owner dies; the observer closes without folding what it does not own.
            holder.release()
            observer.close()
            #expect(try JournalTesting.rawServerValue(image, server) == server.bestValueToServer.satoshis)

            let owner = try await JournalTesting.openOwning(image)
            defer { owner.close() }
            #expect(owner.usesPaymentJournal)
            #expect(try JournalTesting.rawServerValue(image, server) == 1_004)
            #expect(try await owner.serverChannel(contractTxid: server.contractTxid) == expectedServer)
            #expect(try await owner.clientChannel(contractTxid: client.contractTxid) == expectedClient)
            return true
        }
    }

    @Test(
        "while another process holds the journal a store refuses writes; once that process died, its next write replays the journal, takes it over and pays on"
    )
    func observerTakesOverAfterOwnerDeath() async throws {
        try await JournalTesting.retryingUnderLoad { directory in
            guard let image = try await Self.imageWithJournaledPayments(directory) else { return false }
            let server = try PaymentJournalReplayTests.servers[0]
            let client = try PaymentJournalReplayTests.clients[0]
            let later = try JournalTesting.applying(2_000, signature: [0x20], to: server)

            let holder = try JournalLockHolder(path: image + "-paylog")
            let observer = try JournalTesting.storeWithoutIdleFold(image)
            #expect(!observer.usesPaymentJournal)
            #expect(
                try await observer.serverChannel(contractTxid: server.contractTxid)?.bestValueToServer.satoshis == 1_004
            )
            // The owner lives: writes, reservations and prunes are refused, and nothing changes.
            let refused = await #expect(throws: StoreError.self) {
                try await observer.write([try JournalTesting.serverPayment(server, 2_000, signature: [0x20])])
            }
            #expect(refused?.kind == .io)
            #expect(refused?.message.contains("read-only") == true)
            let reservation = await #expect(throws: StoreError.self) {
                try await observer.reserveKeyIndex(.serverChannel)
            }
            #expect(reservation?.kind == .io)
            #expect(try JournalTesting.rawServerValue(image, server) == server.bestValueToServer.satoshis)

            // The owner dies. The next write first replays its journal, then is journaled itself.
            holder.release()
            try await observer.write([try JournalTesting.serverPayment(server, 2_000, signature: [0x20])])
            #expect(observer.usesPaymentJournal)
            #expect(observer.statistics.journalWrites == 1)
            #expect(try JournalTesting.rawServerValue(image, server) == 1_004)
            #expect(try JournalTesting.rawClientValue(image, client) == 60)
            #expect(try await observer.serverChannel(contractTxid: server.contractTxid) == later)
            #expect(try await observer.clientChannel(contractTxid: client.contractTxid)?.valueLeft.satoshis == 60)
            // It owns the journal now: a third store is the one refused.
            let third = try SQLiteChannelStore(path: image)
            #expect(!third.usesPaymentJournal)
            #expect(try await third.serverChannel(contractTxid: server.contractTxid) == later)
            let thirdRefused = await #expect(throws: StoreError.self) {
                try await third.write([try JournalTesting.serverPayment(server, 2_100, signature: [0x21])])
            }
            #expect(thirdRefused?.message.contains("read-only") == true)
            third.close()
            observer.close()
            let reopened = try SQLiteChannelStore(path: image)
            defer { reopened.close() }
            #expect(try await reopened.serverChannel(contractTxid: server.contractTxid) == later)
            return true
        }
    }

    @Test("a read-only store on a dead owner's journal shows its payments without replaying or locking it")
    func readOnlyOnDeadOwnersJournal() async throws {
        try await JournalTesting.retryingUnderLoad { directory in
            guard let image = try await Self.imageWithJournaledPayments(directory) else { return false }
            let server = try PaymentJournalReplayTests.servers[0]
            let expectedServer = try JournalTesting.applying(1_004, signature: StoreFixtures.signature(4), to: server)
            let reader = try SQLiteChannelStore(path: image, readOnly: true)
            defer { reader.close() }
            #expect(try await reader.serverChannel(contractTxid: server.contractTxid) == expectedServer)
            #expect(try JournalTesting.rawServerValue(image, server) == server.bestValueToServer.satoshis)
            // The lock is free: another process can take it while the reader is open.
            let holder = try JournalLockHolder(path: image + "-paylog")
            holder.release()
            return true
        }
    }
}
