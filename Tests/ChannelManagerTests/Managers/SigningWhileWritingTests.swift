import BitcoinPrimitives
import ChannelStateMachine
import Dispatch
import Foundation
import Synchronization
import Testing

@testable import ChannelManager

@Suite("Payments signed while their balance is written")
struct SigningWhileWritingTests {
    static let sats = ManagerTestbed.sats

    /// Opens a channel on SQLite stores and makes `amounts` payments one after the other;
    /// returns the UPDATE_PAYMENT messages the client sent and the server's stored best value.
    private func run(signsWhileWriting: Bool, amounts: [Amount], directory: String) async throws -> (
        updates: [UpdatePayment], best: Amount?, valueLeft: Amount?
    ) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let bed = try await ManagerTestbed(
            stores: .sqlite(directory: directory), clientConfig: { $0.signsWhileWriting = signsWhileWriting })
        #expect((bed.client.signer != nil) == signsWhileWriting)
        let (session, sent) = try await Self.connectNotingUpdates(bed)
        let opened = try await session.open(value: Self.sats(1_000_000))
        for amount in amounts {
            let receipt = try await session.pay(amount)
            #expect(receipt.amount == amount)
        }
        // Payments made one after the other are handed to the queue (but one that finds it
        // still busy is signed by its caller, so not necessarily all of them).
        #expect((bed.client.signer?.handedOver ?? 0) > 0 || !signsWhileWriting)
        let best = try await bed.serverStore.serverChannel(contractTxid: opened.contractTxid)?.bestValueToServer
        let left = try await bed.clientStore.clientChannel(contractTxid: opened.contractTxid)?.valueLeft
        _ = try await session.close()
        return (sent.all, best, left)
    }

    /// A session on `bed` whose `UPDATE_PAYMENT` messages are noted as they are sent.
    private static func connectNotingUpdates(_ bed: ManagerTestbed) async throws -> (
        ClientSession, Notes<UpdatePayment>
    ) {
        let sent = Notes<UpdatePayment>()
        let (session, _, _) = try await bed.connect(clientConnection: { end in
            RecordingConnection(inner: end) { bytes in
                if case .updatePayment(let update) = try? ChannelMessage(decoding: bytes) { sent.append(update) }
            }
        })
        return (session, sent)
    }

    @Test("the same payments send the same signatures either way")
    func sameBytesEitherWay() async throws {
        let directory = NSTemporaryDirectory() + "paychan-signing-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let amounts = (1...40).map { Self.sats(Int64(500 + 37 * $0)) }
        let background = try await run(signsWhileWriting: true, amounts: amounts, directory: directory + "/a")
        let inline = try await run(signsWhileWriting: false, amounts: amounts, directory: directory + "/b")
        // The initial payment went with the contract (v2 PROVIDE_CONTRACT); these are the 40.
        #expect(background.updates.count == amounts.count)
        #expect(background.updates == inline.updates)
        let total = try amounts.reduce(Self.sats(1_000)) { try $0.adding($1) }
        #expect(background.best == total)
        #expect(inline.best == total)
        #expect(background.valueLeft == (try Self.sats(1_000_000).subtracting(total)))
    }

    @Test("a payment signed while its balance is written is not sent before that write is durable")
    func sentOnlyOnceDurable() async throws {
        let directory = NSTemporaryDirectory() + "paychan-signing-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let runs = HeldRuns()
        let thread = SerialWorkThread()
        defer { thread.stop() }
        // The client's commits run at once, except while `holding`.
        let holding = Atomic<Bool>(false)
        let releasing = Task {
            while !Task.isCancelled {
                if !holding.load(ordering: .sequentiallyConsistent) { runs.release(to: thread) }
                try? await Task.sleep(for: .milliseconds(1))
            }
        }
        defer { releasing.cancel() }
        let bed = try await ManagerTestbed(
            stores: .sqliteCommitting(directory: directory, clientCommitter: runs.committer),
            clientConfig: { $0.signsWhileWriting = true })
        let (session, sent) = try await Self.connectNotingUpdates(bed)
        let opened = try await session.open(value: Self.sats(1_000_000))
        try await eventually("every commit of the opening is done") { runs.holding == 0 }

        holding.store(true, ordering: .sequentiallyConsistent)
        runs.release(to: thread)
        let payment = Task { try await session.pay(Self.sats(700)) }
        try await eventually("the balance's commit is scheduled") { runs.holding == 1 }
        // Held for a while: the signature is made meanwhile, but nothing may leave.
        try await Task.sleep(for: .milliseconds(100))
        #expect(sent.all.isEmpty)
        holding.store(false, ordering: .sequentiallyConsistent)
        let receipt = try await payment.value
        #expect(receipt.valueLeft == Self.sats(998_300))
        #expect(sent.all.map(\.clientChangeValue) == [998_300])
        let stored = try await bed.clientStore.clientChannel(contractTxid: opened.contractTxid)
        #expect(stored?.valueLeft == Self.sats(998_300))
        _ = try await session.close()
    }

    @Test("pipelined payments (not alone, so signed by their callers) are all acknowledged, in order")
    func pipelined() async throws {
        let bed = try await ManagerTestbed(clientConfig: { $0.signsWhileWriting = true })
        let (session, _, _) = try await bed.connect()
        let opened = try await session.open(value: Self.sats(2_000_000))
        let receipts = try await withThrowingTaskGroup(of: PaymentReceipt.self) { group in
            for _ in 0..<64 { group.addTask { try await session.pay(Self.sats(1_000)) } }
            var all: [PaymentReceipt] = []
            for try await receipt in group { all.append(receipt) }
            return all
        }
        #expect(Set(receipts.map(\.valueLeft)).count == 64)
        #expect(session.record?.valueLeft == Self.sats(2_000_000 - 1_000 - 64_000))
        let server = try await bed.serverStore.serverChannel(contractTxid: opened.contractTxid)
        #expect(server?.bestValueToServer == Self.sats(65_000))
    }

    @Test("a signature claimed by the session and the queue at once is made right, whoever wins")
    func claimRace() async throws {
        let h = try await PendingPaymentFixture()
        for round in 0..<200 {
            let payment = try h.pending(change: Self.sats(Int64(900_000 - round)))
            let expected = payment.signedUpdate().encoded()
            let signing = SigningPayment(payment)
            let results = Mutex<[[UInt8]]>([])
            DispatchQueue.concurrentPerform(iterations: 4) { index in
                if index % 2 == 0 {
                    signing.signIfUnclaimed()
                } else {
                    let bytes = signing.encodedMessage()
                    results.withLock { $0.append(bytes) }
                }
            }
            #expect(results.withLock { $0 } == [expected, expected])
            #expect(signing.encodedMessage() == expected)
        }
    }

    @Test("the queue signs ahead one payment at a time; while it is busy, the caller signs")
    func queueSignsAhead() async throws {
        let h = try await PendingPaymentFixture()
        let queue = DispatchQueue(label: "test.signing")
        let signer = PaymentSigner(queue: queue)
        let first = SigningPayment(try h.pending(change: Self.sats(123_456)))
        let second = SigningPayment(try h.pending(change: Self.sats(123_000)))
        queue.suspend()
        signer.start(first)
        #expect(signer.handedOver == 1)
        #expect(!first.isSigned)
        // The queue holds one: the next is signed by its caller, at once.
        signer.start(second)
        #expect(signer.handedOver == 1)
        #expect(second.isSigned)
        #expect(second.encodedMessage() == second.payment.signedUpdate().encoded())
        queue.resume()
        try await eventually("the queue signs the first") { first.isSigned }
        #expect(first.encodedMessage() == first.payment.signedUpdate().encoded())
        // A payment its session took first is left alone by the queue.
        try await eventually("the queue is idle again") {
            let probe = SigningPayment(try h.pending(change: Self.sats(100_000)))
            signer.start(probe)
            return signer.handedOver == 2
        }
        try await eventually("the queue is idle again") {
            let taken = SigningPayment(try h.pending(change: Self.sats(99_000)))
            _ = taken.encodedMessage()
            let before = signer.handedOver
            signer.start(taken)
            guard signer.handedOver == before + 1 else { return false }
            queue.sync {}
            #expect(!taken.isSigned)
            return true
        }
    }
}

/// A copy of an open client session's machine, to make pending payments from.
private struct PendingPaymentFixture {
    let machine: ClientChannel
    let bed: ManagerTestbed

    init() async throws {
        bed = try await ManagerTestbed()
        let (session, _, _) = try await bed.connect()
        _ = try await session.open(value: ManagerTestbed.sats(1_000_000))
        machine = try #require(session.state.withLock { $0.machine })
    }

    /// A pending payment leaving `change` (each call starts from the same balance).
    func pending(change: Amount) throws -> PendingPayment {
        var machine = machine
        let left = try #require(machine.record?.valueLeft)
        return try machine.beginPayment(try left.subtracting(change))
    }
}

/// A client connection that shows every message it sends to `observe` first.
private struct RecordingConnection: ChannelConnection {
    let inner: InMemoryPipe.End
    let observe: @Sendable ([UInt8]) -> Void

    func send(_ message: [UInt8]) {
        observe(message)
        inner.send(message)
    }

    func close() { inner.close() }
    func waitUntilClosed() async { await inner.waitUntilClosed() }
}
