import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Testing

/// Runs `body` with an empty store of one kind whose clock (for pruning) is the one given; the
/// store is closed afterwards.
public typealias ChannelStoreFactory =
    @Sendable (ManualClock, (any ChannelStore) async throws -> Void) async throws -> Void

/// The rules every ``ChannelStore`` keeps, as cases that any test target runs against the
/// stores it can make (the in-memory and SQLite stores in ChannelManagerTests, PostgreSQL in
/// PaychanPostgresTests): one parameterized test there runs every case on every store.
public enum ChannelStoreConformanceCase: String, CaseIterable, Sendable, CustomStringConvertible {
    case serverRecordsRoundTrip
    case serverChannelsExpiringAfter
    case clientRecordsRoundTrip
    case clientChannelQueries
    case walletOutputs
    case incrementalUpdates
    case missingRecordsAreInconsistent
    case refusalIsPerTicket
    case mismatchedTxidIsRefused
    case readsSeeEnqueuedWrites
    case emptyAndUnknownTickets
    case pruning
    case pruningPerRole
    case walletOutputChainFields
    case walletOutputCoinbase
    case chainIndexRoundTrip
    case chainIndexOwnAddedLater
    case chainIndexRefusals
    case keyIndexes

    /// What the case checks.
    public var description: String {
        switch self {
        case .serverRecordsRoundTrip: "every server record field round-trips"
        case .serverChannelsExpiringAfter:
            "server channels filtered by expiry compare as unsigned, huge expiries included"
        case .clientRecordsRoundTrip: "every client record field round-trips"
        case .clientChannelQueries: "client channels filter by server and state, ordered by expiry"
        case .walletOutputs: "wallet outputs: add keeps the first, spend, abandon, unspent filter"
        case .incrementalUpdates: "payments and states update stored records in place"
        case .missingRecordsAreInconsistent:
            "a write for a missing record is refused alone, nothing of its ticket applied"
        case .refusalIsPerTicket: "tickets around a refused one commit; waits are per ticket"
        case .mismatchedTxidIsRefused: "a record whose contractTxid is not its contract's is refused"
        case .readsSeeEnqueuedWrites: "reads see writes enqueued before them without waiting"
        case .emptyAndUnknownTickets: "an empty enqueue is durable; a ticket never issued is refused"
        case .pruning: "pruning deletes channels that ended before the cutoff, by the store's clock"
        case .pruningPerRole: "pruning treats each role on its own when one txid is stored for both"
        case .keyIndexes: "key indexes count up per family and never repeat, even when reserved concurrently"
        case .walletOutputChainFields: "wallet outputs: confirmations and spends the chain shows, undone, removed"
        case .walletOutputCoinbase: "wallet outputs: whether each is a coinbase round-trips through every update"
        case .chainIndexRoundTrip: "chain index: cursor, watches, spends and blocks round-trip"
        case .chainIndexOwnAddedLater: "chain index: an own transaction given later is added to a watched one"
        case .chainIndexRefusals:
            "chain index: updates that do not fit are refused alone, with the rest of their enqueue"
        }
    }

    /// Runs the case on stores made by `withStore`.
    public func run(_ withStore: ChannelStoreFactory) async throws {
        switch self {
        case .serverRecordsRoundTrip: try await Self.serverRecordsRoundTrip(withStore)
        case .serverChannelsExpiringAfter: try await Self.serverChannelsExpiringAfter(withStore)
        case .clientRecordsRoundTrip: try await Self.clientRecordsRoundTrip(withStore)
        case .clientChannelQueries: try await Self.clientChannelQueries(withStore)
        case .walletOutputs: try await Self.walletOutputs(withStore)
        case .incrementalUpdates: try await Self.incrementalUpdates(withStore)
        case .missingRecordsAreInconsistent: try await Self.missingRecordsAreInconsistent(withStore)
        case .refusalIsPerTicket: try await Self.refusalIsPerTicket(withStore)
        case .mismatchedTxidIsRefused: try await Self.mismatchedTxidIsRefused(withStore)
        case .readsSeeEnqueuedWrites: try await Self.readsSeeEnqueuedWrites(withStore)
        case .emptyAndUnknownTickets: try await Self.emptyAndUnknownTickets(withStore)
        case .pruning: try await Self.pruning(withStore)
        case .pruningPerRole: try await Self.pruningPerRole(withStore)
        case .keyIndexes: try await Self.keyIndexes(withStore)
        case .walletOutputChainFields: try await Self.walletOutputChainFields(withStore)
        case .walletOutputCoinbase: try await Self.walletOutputCoinbaseFlag(withStore)
        case .chainIndexRoundTrip: try await Self.chainIndexRoundTrip(withStore)
        case .chainIndexOwnAddedLater: try await Self.chainIndexOwnAddedLater(withStore)
        case .chainIndexRefusals: try await Self.chainIndexRefusals(withStore)
        }
    }

    static func serverRecordsRoundTrip(_ withStore: ChannelStoreFactory) async throws {
        try await withStore(ManualClock(now: StoreFixtures.baseTime)) { store in
            let records = try (0..<3).map { try StoreFixtures.server(10 + $0, variant: $0) }
            try await store.write(records.map { .server(.channel($0)) })
            for record in records {
                #expect(try await store.serverChannel(contractTxid: record.contractTxid) == record)
            }
            let all = try await store.serverChannels(in: Set(ServerChannelRecord.State.allCases))
            #expect(Set(all) == Set(records))
            #expect(all.map(\.expiry) == all.map(\.expiry).sorted())
            #expect(try await store.serverChannels(in: [.settled]) == [records[1]])
            #expect(try await store.serverChannels(in: []) == [])
            #expect(try await store.serverChannel(contractTxid: StoreFixtures.hash(99, tag: 1)) == nil)
        }
    }

    static func serverChannelsExpiringAfter(_ withStore: ChannelStoreFactory) async throws {
        try await withStore(ManualClock(now: StoreFixtures.baseTime)) { store in
            let expiries: [UInt64] = [0, 1_000, 2_000, UInt64(Int64.max), UInt64(Int64.max) + 1, UInt64.max - 1, .max]
            var records: [ServerChannelRecord] = []
            for (seed, expiry) in expiries.enumerated() {
                var record = try StoreFixtures.server(30 + seed, variant: 1)
                record.expiry = expiry
                records.append(record)
            }
            var other = try StoreFixtures.server(60)
            other.expiry = 5_000
            try await store.write((records + [other]).map { .server(.channel($0)) })
            for bound in [0, 999, 1_000, 1_500, UInt64(Int64.max) - 1, UInt64(Int64.max), UInt64(Int64.max) + 1, .max] {
                let found = try await store.serverChannels(in: [.settled], expiringAfter: bound)
                let expected = records.filter { $0.expiry > bound }.map(\.expiry).sorted()
                #expect(found.map(\.expiry) == expected, "expiring after \(bound)")
                #expect(found.allSatisfy { $0.state == .settled })
            }
            #expect(try await store.serverChannels(in: [.settled], expiringAfter: nil).count == records.count)
        }
    }

    static func clientRecordsRoundTrip(_ withStore: ChannelStoreFactory) async throws {
        try await withStore(ManualClock(now: StoreFixtures.baseTime)) { store in
            let records = try (0..<3).map { try StoreFixtures.client(20 + $0, variant: $0) }
            try await store.write(records.map { .client(.channel($0)) })
            for record in records {
                #expect(try await store.clientChannel(contractTxid: record.contractTxid) == record)
            }
            let all = try await store.clientChannels(serverID: nil, in: Set(ClientChannelRecord.State.allCases))
            #expect(Set(all) == Set(records))
            #expect(try await store.clientChannels(serverID: records[1].serverID, in: [.refunded]) == [records[1]])
            #expect(try await store.clientChannels(serverID: records[1].serverID, in: [.open]) == [])
            #expect(try await store.clientChannels(serverID: "", in: [.opening]) == [records[2]])
        }
    }

    static func clientChannelQueries(_ withStore: ChannelStoreFactory) async throws {
        try await withStore(ManualClock(now: StoreFixtures.baseTime)) { store in
            var records: [ClientChannelRecord] = []
            for seed in 0..<9 {
                var record = try StoreFixtures.client(seed, serverID: "server-\(seed % 3)")
                record.expiry = StoreFixtures.baseTime + UInt64(100 - seed)
                record.state = seed % 2 == 0 ? .open : .opening
                records.append(record)
            }
            try await store.write(records.map { .client(.channel($0)) })
            let found = try await store.clientChannels(serverID: "server-1", in: [.open, .opening])
            let expected = records.filter { $0.serverID == "server-1" }.sorted { $0.expiry < $1.expiry }
            #expect(found == expected)
            let open = try await store.clientChannels(serverID: nil, in: [.open])
            #expect(open == records.filter { $0.state == .open }.sorted { $0.expiry < $1.expiry })
        }
    }

    static func walletOutputs(_ withStore: ChannelStoreFactory) async throws {
        try await withStore(ManualClock(now: StoreFixtures.baseTime)) { store in
            let spender = try StoreFixtures.hash(500, tag: 9)
            let outputs = try [
                StoreFixtures.walletOutput(1), StoreFixtures.walletOutput(2, family: .walletChange),
                StoreFixtures.walletOutput(3, spentBy: try StoreFixtures.hash(501, tag: 9)),
            ]
            try await store.write(outputs.map { .walletOutputAdded($0) })
            #expect(Set(try await store.walletOutputs(unspentOnly: false)) == Set(outputs))

            var duplicate = outputs[0]
            duplicate.keyIndex = 999
            try await store.write([.walletOutputAdded(duplicate)])
            #expect(Set(try await store.walletOutputs(unspentOnly: false)) == Set(outputs))

            try await store.write([
                .walletOutputsSpent([outputs[0].outpoint, outputs[1].outpoint], spendingTxid: spender)
            ])
            #expect(try await store.walletOutputs(unspentOnly: true) == [])
            // The spending transaction's change, dropped again when the spend is abandoned.
            let change = WalletOutput(
                outpoint: OutPoint(txid: spender, index: 1), value: outputs[0].value,
                scriptPubKey: outputs[0].scriptPubKey, keyFamily: .walletChange, keyIndex: 7)
            try await store.write([.walletOutputAdded(change)])
            #expect(try await store.walletOutputs(unspentOnly: true) == [change])
            let spent = try await store.walletOutputs(unspentOnly: false)
            #expect(spent.filter { $0.spentBy == spender }.count == 2)

            try await store.write([.walletSpendAbandoned(spendingTxid: spender)])
            #expect(Set(try await store.walletOutputs(unspentOnly: true)) == Set(outputs.prefix(2)))
            #expect(Set(try await store.walletOutputs(unspentOnly: false)) == Set(outputs))
        }
    }

    static func incrementalUpdates(_ withStore: ChannelStoreFactory) async throws {
        try await withStore(ManualClock(now: StoreFixtures.baseTime)) { store in
            var server = try StoreFixtures.server(1)
            var client = try StoreFixtures.client(2)
            try await store.write([.server(.channel(server)), .client(.channel(client))])

            let value = try StoreFixtures.amount(77_777)
            try await store.write([
                .server(
                    .payment(
                        contractTxid: server.contractTxid, bestValueToServer: value,
                        signature: StoreFixtures.signature(1))),
                .client(.payment(contractTxid: client.contractTxid, valueLeft: value)),
            ])
            server.bestValueToServer = value
            server.bestSignature = StoreFixtures.signature(1)
            client.valueLeft = value
            #expect(try await store.serverChannel(contractTxid: server.contractTxid) == server)
            #expect(try await store.clientChannel(contractTxid: client.contractTxid) == client)

            let settlement = try StoreFixtures.transaction(3, tag: 40, value: 5_000)
            try await store.write([
                .server(.state(contractTxid: server.contractTxid, .settling, settlement: settlement)),
                .client(.state(contractTxid: client.contractTxid, .settled, settlement: settlement)),
            ])
            server.state = .settling
            server.settlement = settlement
            client.state = .settled
            client.settlement = settlement
            #expect(try await store.serverChannel(contractTxid: server.contractTxid) == server)
            #expect(try await store.clientChannel(contractTxid: client.contractTxid) == client)

            // A state without a settlement keeps the stored one.
            try await store.write([.server(.state(contractTxid: server.contractTxid, .settled, settlement: nil))])
            server.state = .settled
            #expect(try await store.serverChannel(contractTxid: server.contractTxid) == server)

            // A whole record replaces the stored one, settlement included.
            var replaced = server
            replaced.settlement = nil
            replaced.state = .open
            try await store.write([.server(.channel(replaced))])
            #expect(try await store.serverChannel(contractTxid: server.contractTxid) == replaced)
        }
    }

    static func missingRecordsAreInconsistent(_ withStore: ChannelStoreFactory) async throws {
        try await withStore(ManualClock(now: StoreFixtures.baseTime)) { store in
            let server = try StoreFixtures.server(1)
            let client = try StoreFixtures.client(2)
            let output = try StoreFixtures.walletOutput(3)
            try await store.write([.server(.channel(server)), .client(.channel(client)), .walletOutputAdded(output)])
            let unknown = try StoreFixtures.hash(404, tag: 1)
            let unknownOutput = OutPoint(txid: unknown, index: 0)
            let value = try StoreFixtures.amount(5)

            let refused: [[StoreWrite]] = [
                [.server(.payment(contractTxid: unknown, bestValueToServer: value, signature: [1]))],
                [.server(.state(contractTxid: unknown, .settled, settlement: nil))],
                [.client(.payment(contractTxid: unknown, valueLeft: value))],
                [.client(.state(contractTxid: unknown, .refunded, settlement: nil))],
                [.walletOutputsSpent([unknownOutput], spendingTxid: unknown)],
                // All or none: the good first write of each of these is undone.
                [
                    .server(.payment(contractTxid: server.contractTxid, bestValueToServer: value, signature: [1])),
                    .client(.payment(contractTxid: unknown, valueLeft: value)),
                ],
                [.walletOutputsSpent([output.outpoint, unknownOutput], spendingTxid: unknown)],
            ]
            for writes in refused {
                let error = await #expect(throws: StoreError.self) { try await store.write(writes) }
                #expect(error?.kind == .inconsistent, "\(writes)")
            }
            // The store goes on, unchanged.
            #expect(try await store.serverChannel(contractTxid: server.contractTxid) == server)
            #expect(try await store.clientChannel(contractTxid: client.contractTxid) == client)
            #expect(try await store.walletOutputs(unspentOnly: false) == [output])
            try await store.write([.client(.payment(contractTxid: client.contractTxid, valueLeft: value))])
            #expect(try await store.clientChannel(contractTxid: client.contractTxid)?.valueLeft == value)
        }
    }

    static func refusalIsPerTicket(_ withStore: ChannelStoreFactory) async throws {
        try await withStore(ManualClock(now: StoreFixtures.baseTime)) { store in
            let server = try StoreFixtures.server(1)
            let unknown = try StoreFixtures.hash(404, tag: 1)
            let first = try StoreFixtures.amount(10)
            let last = try StoreFixtures.amount(30)
            let open = store.enqueue([.server(.channel(server))])
            let before = store.enqueue([
                .server(.payment(contractTxid: server.contractTxid, bestValueToServer: first, signature: [1]))
            ])
            let bad = store.enqueue([.server(.payment(contractTxid: unknown, bestValueToServer: first, signature: [2]))]
            )
            let after = store.enqueue([
                .server(.payment(contractTxid: server.contractTxid, bestValueToServer: last, signature: [3]))
            ])
            #expect(open < before && before < bad && bad < after)
            try await store.waitUntilDurable(after)
            try await store.waitUntilDurable(open)
            try await store.waitUntilDurable(before)
            let error = await #expect(throws: StoreError.self) { try await store.waitUntilDurable(bad) }
            #expect(error?.kind == .inconsistent)
            // Waiting again gives the same answer.
            await #expect(throws: StoreError.self) { try await store.waitUntilDurable(bad) }
            let stored = try await store.serverChannel(contractTxid: server.contractTxid)
            #expect(stored?.bestValueToServer == last)
            #expect(stored?.bestSignature == [3])
        }
    }

    static func mismatchedTxidIsRefused(_ withStore: ChannelStoreFactory) async throws {
        try await withStore(ManualClock(now: StoreFixtures.baseTime)) { store in
            var server = try StoreFixtures.server(1)
            server.contractTxid = try StoreFixtures.hash(2, tag: 1)
            var client = try StoreFixtures.client(3)
            client.contractTxid = try StoreFixtures.hash(4, tag: 1)
            for write in [StoreWrite.server(.channel(server)), .client(.channel(client))] {
                let error = await #expect(throws: StoreError.self) { try await store.write([write]) }
                #expect(error?.kind == .inconsistent)
            }
            #expect(try await store.serverChannels(in: Set(ServerChannelRecord.State.allCases)) == [])
            #expect(try await store.clientChannels(serverID: nil, in: Set(ClientChannelRecord.State.allCases)) == [])
        }
    }

    static func readsSeeEnqueuedWrites(_ withStore: ChannelStoreFactory) async throws {
        try await withStore(ManualClock(now: StoreFixtures.baseTime)) { store in
            let server = try StoreFixtures.server(1)
            _ = store.enqueue([.server(.channel(server))])
            for n in 1...50 {
                _ = store.enqueue([
                    .server(
                        .payment(
                            contractTxid: server.contractTxid, bestValueToServer: try StoreFixtures.amount(Int64(n)),
                            signature: StoreFixtures.signature(n)))
                ])
            }
            let stored = try await store.serverChannel(contractTxid: server.contractTxid)
            #expect(stored?.bestValueToServer == (try StoreFixtures.amount(50)))
            #expect(stored?.bestSignature == StoreFixtures.signature(50))
        }
    }

    static func emptyAndUnknownTickets(_ withStore: ChannelStoreFactory) async throws {
        try await withStore(ManualClock(now: StoreFixtures.baseTime)) { store in
            let ticket = store.enqueue([])
            try await store.waitUntilDurable(ticket)
            let error = await #expect(throws: StoreError.self) {
                try await store.waitUntilDurable(StoreTicket(sequence: ticket.sequence + 1000))
            }
            #expect(error?.kind == .inconsistent)
        }
    }

    static func pruning(_ withStore: ChannelStoreFactory) async throws {
        let clock = ManualClock(now: 1_000)
        try await withStore(clock) { store in
            let open = try StoreFixtures.server(1)
            var settledEarly = try StoreFixtures.server(2)
            let failedLate = try StoreFixtures.server(3)
            let clientRefunded = try StoreFixtures.client(4)  // open, refunded later
            var clientSettledRecord = try StoreFixtures.client(5)
            clientSettledRecord.state = .settled
            let reopened = try StoreFixtures.server(6)

            settledEarly.state = .settled
            // t = 1000: one server channel stored already settled, one client settled.
            try await store.write([
                .server(.channel(open)), .server(.channel(settledEarly)), .server(.channel(failedLate)),
                .client(.channel(clientRefunded)), .client(.channel(clientSettledRecord)), .server(.channel(reopened)),
                .server(.state(contractTxid: reopened.contractTxid, .failed, settlement: nil)),
            ])
            clock.advance(to: 2_000)
            try await store.write([
                .server(.state(contractTxid: failedLate.contractTxid, .failed, settlement: nil)),
                .client(.state(contractTxid: clientRefunded.contractTxid, .refunded, settlement: nil)),
                // Ending again keeps the first end time; leaving the ended state forgets it.
                .server(.state(contractTxid: settledEarly.contractTxid, .settled, settlement: nil)),
                .server(.state(contractTxid: reopened.contractTxid, .settling, settlement: nil)),
            ])
            clock.advance(to: 3_000)

            #expect(try await store.pruneEndedChannels(endedBefore: 1_000) == 0)
            #expect(try await store.pruneEndedChannels(endedBefore: 1_001) == 2)
            #expect(try await store.serverChannel(contractTxid: settledEarly.contractTxid) == nil)
            #expect(try await store.clientChannel(contractTxid: clientSettledRecord.contractTxid) == nil)
            #expect(try await store.serverChannel(contractTxid: failedLate.contractTxid) != nil)

            #expect(try await store.pruneEndedChannels(endedBefore: 5_000) == 2)
            #expect(try await store.serverChannel(contractTxid: failedLate.contractTxid) == nil)
            #expect(try await store.clientChannel(contractTxid: clientRefunded.contractTxid) == nil)
            let left = try await store.serverChannels(in: Set(ServerChannelRecord.State.allCases))
            #expect(Set(left.map(\.contractTxid)) == [open.contractTxid, reopened.contractTxid])
            #expect(try await store.pruneEndedChannels(endedBefore: UInt64.max) == 0)
        }
    }

    static func pruningPerRole(_ withStore: ChannelStoreFactory) async throws {
        let clock = ManualClock(now: 1_000)
        try await withStore(clock) { store in
            // A demo that runs both sides in one store stores the same contract twice.
            var server = try StoreFixtures.server(1)
            server.state = .settled
            let base = try StoreFixtures.client(1)
            let client = ClientChannelRecord(
                version: base.version, serverID: base.serverID, contract: server.contract,
                channelValue: base.channelValue,
                refund: base.refund, clientKeyIndex: base.clientKeyIndex, clientPublicKey: base.clientPublicKey,
                serverPublicKey: base.serverPublicKey, expiry: base.expiry, valueLeft: base.valueLeft,
                minPayment: base.minPayment, state: .open)
            try await store.write([.server(.channel(server)), .client(.channel(client))])
            try await store.write([.client(.payment(contractTxid: client.contractTxid, valueLeft: .zero))])
            #expect(try await store.pruneEndedChannels(endedBefore: 2_000) == 1)
            #expect(try await store.serverChannel(contractTxid: server.contractTxid) == nil)
            #expect(try await store.clientChannel(contractTxid: client.contractTxid) != nil)
        }
    }

    static func keyIndexes(_ withStore: ChannelStoreFactory) async throws {
        try await withStore(ManualClock(now: StoreFixtures.baseTime)) { store in
            #expect(try await store.reserveKeyIndex(.serverChannel) == 0)
            #expect(try await store.reserveKeyIndex(.serverChannel) == 1)
            #expect(try await store.reserveKeyIndex(.clientChannel) == 0)
            let reserved = try await withThrowingTaskGroup(of: UInt32.self) { group in
                for _ in 0..<200 { group.addTask { try await store.reserveKeyIndex(.walletReceive) } }
                var all: [UInt32] = []
                for try await index in group { all.append(index) }
                return all
            }
            #expect(reserved.sorted() == Array(0..<200))
            #expect(try await store.reserveKeyIndex(.serverChannel) == 2)
            #expect(try await store.nextKeyIndex(.walletChange) == 0)
            #expect(try await store.reserveKeyIndex(.walletChange) == 0)
            // Peeking reserves nothing.
            #expect(try await store.nextKeyIndex(.walletReceive) == 200)
            #expect(try await store.nextKeyIndex(.walletReceive) == 200)
            #expect(try await store.nextKeyIndex(.serverChannel) == 3)
        }
    }

    static func walletOutputChainFields(_ withStore: ChannelStoreFactory) async throws {
        try await withStore(ManualClock(now: StoreFixtures.baseTime)) { store in
            var confirmed = try StoreFixtures.walletOutput(4)
            confirmed.confirmedHeight = 120
            let plain = try StoreFixtures.walletOutput(5)
            let signed = try StoreFixtures.walletOutput(6, spentBy: try StoreFixtures.hash(601, tag: 9))
            try await store.write([
                .walletOutputAdded(confirmed), .walletOutputAdded(plain), .walletOutputAdded(signed),
            ])
            #expect(Set(try await store.walletOutputs(unspentOnly: false)) == [confirmed, plain, signed])

            // Mined, and spent by a transaction the wallet did not sign; the signed one mined too.
            let seenSpender = try StoreFixtures.hash(600, tag: 9)
            try await store.write([
                .walletOutputConfirmed(plain.outpoint, height: 0),
                .walletSpendSeen(plain.outpoint, spendingTxid: seenSpender, height: Int(Int32.max)),
                .walletSpendSeen(signed.outpoint, spendingTxid: try #require(signed.spentBy), height: 7),
            ])
            var seen = plain
            seen.confirmedHeight = 0
            seen.spentBy = seenSpender
            seen.spendHeight = Int(Int32.max)
            seen.spendLearntFromChain = true
            var signedMined = signed
            signedMined.spendHeight = 7
            #expect(Set(try await store.walletOutputs(unspentOnly: false)) == [confirmed, seen, signedMined])
            #expect(try await store.walletOutputs(unspentOnly: true) == [confirmed])

            // The blocks leave: the learnt spend is forgotten, the signed one stays unmined.
            try await store.write([
                .walletSpendUnseen(plain.outpoint), .walletSpendUnseen(signed.outpoint),
                .walletOutputConfirmed(plain.outpoint, height: nil),
            ])
            #expect(Set(try await store.walletOutputs(unspentOnly: false)) == [confirmed, plain, signed])

            // On a missing output they do nothing, and refuse nothing; removing is idempotent.
            let missing = try StoreFixtures.walletOutput(7).outpoint
            try await store.write([
                .walletOutputConfirmed(missing, height: 3),
                .walletSpendSeen(missing, spendingTxid: seenSpender, height: 3),
                .walletSpendUnseen(missing), .walletOutputRemoved(confirmed.outpoint),
                .walletOutputRemoved(confirmed.outpoint),
            ])
            #expect(Set(try await store.walletOutputs(unspentOnly: false)) == [plain, signed])
        }
    }

    static func chainIndexRoundTrip(_ withStore: ChannelStoreFactory) async throws {
        try await withStore(ManualClock(now: StoreFixtures.baseTime)) { store in
            #expect(try await store.chainIndex() == ChainIndex())
            let watched = OutPoint(txid: try StoreFixtures.hash(1, tag: 71), index: 3)
            let other = OutPoint(txid: try StoreFixtures.hash(2, tag: 71), index: 0)
            let own = try StoreFixtures.transaction(5, tag: 72, value: 5_000, witness: true)
            let theirs = try StoreFixtures.hash(6, tag: 72)
            let spend = ChainSpend(
                transaction: try ChainIndexFixtures.spender(of: watched, seed: 4),
                block: try ChainIndexFixtures.position(11))
            try await store.write([
                .chainIndex(.cursor(try ChainIndexFixtures.position(10))),
                .chainIndex(.watchOutpoint(watched)),
                .chainIndex(.watchOutpoint(other)),
                .chainIndex(.watchTransaction(own.txid, own: own)),
                .chainIndex(.watchTransaction(theirs, own: nil)),
                .chainIndex(.watchScript(Script(bytes: [0x00, 0x14] + [UInt8](repeating: 7, count: 20)))),
                .chainIndex(.watchScript(.empty)),
                .chainIndex(.outpointSpend(watched, spend)),
                .chainIndex(.transactionBlock(own.txid, try ChainIndexFixtures.position(11), leftChain: false)),
                .chainIndex(.transactionBlock(theirs, nil, leftChain: true)),
                .chainIndex(.cursor(try ChainIndexFixtures.position(11))),
            ])
            let expected = ChainIndex(
                cursor: try ChainIndexFixtures.position(11),
                outpoints: [
                    watched: WatchedOutpoint(outpoint: watched, spend: spend),
                    other: WatchedOutpoint(outpoint: other),
                ],
                transactions: [
                    own.txid: WatchedTransaction(
                        txid: own.txid, ownTransaction: own, block: try ChainIndexFixtures.position(11)),
                    theirs: WatchedTransaction(txid: theirs, leftChain: true),
                ],
                scripts: [Script(bytes: [0x00, 0x14] + [UInt8](repeating: 7, count: 20)), .empty])
            #expect(try await store.chainIndex() == expected)

            // Watching again keeps what is known; a spend or block can be taken back.
            try await store.write([
                .chainIndex(.watchOutpoint(watched)),
                .chainIndex(.watchTransaction(own.txid, own: nil)),
                .chainIndex(.watchTransaction(theirs, own: nil)),
                .chainIndex(.watchScript(.empty)),
            ])
            #expect(try await store.chainIndex() == expected)
            try await store.write([
                .chainIndex(.outpointSpend(watched, nil)),
                .chainIndex(.transactionBlock(own.txid, nil, leftChain: true)),
            ])
            let index = try await store.chainIndex()
            #expect(index.outpoints[watched] == WatchedOutpoint(outpoint: watched))
            #expect(
                index.transactions[own.txid] == WatchedTransaction(txid: own.txid, ownTransaction: own, leftChain: true)
            )
        }
    }

    static func chainIndexOwnAddedLater(_ withStore: ChannelStoreFactory) async throws {
        try await withStore(ManualClock(now: StoreFixtures.baseTime)) { store in
            let own = try StoreFixtures.transaction(8, tag: 72, value: 5_000)
            try await store.write([
                .chainIndex(.watchTransaction(own.txid, own: nil)),
                .chainIndex(.transactionBlock(own.txid, try ChainIndexFixtures.position(3), leftChain: false)),
                .chainIndex(.watchTransaction(own.txid, own: own)),
            ])
            #expect(
                try await store.chainIndex().transactions[own.txid]
                    == WatchedTransaction(
                        txid: own.txid, ownTransaction: own, block: try ChainIndexFixtures.position(3)))
        }
    }

    static func chainIndexRefusals(_ withStore: ChannelStoreFactory) async throws {
        try await withStore(ManualClock(now: StoreFixtures.baseTime)) { store in
            let watched = OutPoint(txid: try StoreFixtures.hash(1, tag: 71), index: 0)
            try await store.write([
                .chainIndex(.watchOutpoint(watched)), .chainIndex(.cursor(try ChainIndexFixtures.position(5))),
            ])
            let before = try await store.chainIndex()
            let unwatched = OutPoint(txid: try StoreFixtures.hash(2, tag: 71), index: 0)
            let own = try StoreFixtures.transaction(9, tag: 72, value: 1_000)
            let refused: [[StoreWrite]] = [
                [
                    .chainIndex(.cursor(try ChainIndexFixtures.position(6))),
                    .chainIndex(
                        .outpointSpend(
                            unwatched,
                            ChainSpend(
                                transaction: try ChainIndexFixtures.spender(of: unwatched, seed: 1),
                                block: try ChainIndexFixtures.position(6))
                        )),
                ],
                [
                    .chainIndex(.cursor(try ChainIndexFixtures.position(6))),
                    .chainIndex(.transactionBlock(own.txid, nil, leftChain: false)),
                ],
                [.chainIndex(.watchTransaction(try StoreFixtures.hash(3, tag: 72), own: own))],
                [.chainIndex(.cursor(BlockPosition(height: -1, hash: .zero)))],
                [
                    .chainIndex(.watchOutpoint(unwatched)),
                    .chainIndex(
                        .outpointSpend(
                            watched,
                            ChainSpend(
                                transaction: try ChainIndexFixtures.spender(of: watched, seed: 2),
                                block: BlockPosition(height: -3, hash: .zero)))),
                ],
            ]
            for writes in refused {
                let error = await #expect(throws: StoreError.self) { try await store.write(writes) }
                #expect(error?.kind == .inconsistent)
            }
            // The store goes on: nothing of the refused enqueues was applied, later ones are.
            #expect(try await store.chainIndex() == before)
            try await store.write([.chainIndex(.cursor(try ChainIndexFixtures.position(6)))])
            #expect(try await store.chainIndex().cursor == (try ChainIndexFixtures.position(6)))
        }
    }
}
