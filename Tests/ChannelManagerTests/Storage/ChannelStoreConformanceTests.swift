import BitcoinPrimitives
import ChannelManager
import ChannelStateMachine
import Testing

/// The rules every ``ChannelStore`` keeps, run against the in-memory and the SQLite store.
@Suite("ChannelStore conformance")
struct ChannelStoreConformanceTests {
    @Test("every server record field round-trips", arguments: StoreKind.allCases)
    func serverRecordsRoundTrip(kind: StoreKind) async throws {
        try await kind.withStore { store in
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

    @Test(
        "server channels filtered by expiry compare as unsigned, huge expiries included", arguments: StoreKind.allCases)
    func serverChannelsExpiringAfter(kind: StoreKind) async throws {
        try await kind.withStore { store in
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

    @Test("every client record field round-trips", arguments: StoreKind.allCases)
    func clientRecordsRoundTrip(kind: StoreKind) async throws {
        try await kind.withStore { store in
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

    @Test("client channels filter by server and state, ordered by expiry", arguments: StoreKind.allCases)
    func clientChannelQueries(kind: StoreKind) async throws {
        try await kind.withStore { store in
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

    @Test("wallet outputs: add keeps the first, spend, abandon, unspent filter", arguments: StoreKind.allCases)
    func walletOutputs(kind: StoreKind) async throws {
        try await kind.withStore { store in
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

    @Test(
        "wallet outputs: confirmations and spends the chain shows, undone, removed", arguments: StoreKind.allCases)
    func walletOutputChainFields(kind: StoreKind) async throws {
        try await kind.withStore { store in
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

    @Test("payments and states update stored records in place", arguments: StoreKind.allCases)
    func incrementalUpdates(kind: StoreKind) async throws {
        try await kind.withStore { store in
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

    @Test("a write for a missing record is refused alone, nothing of its ticket applied", arguments: StoreKind.allCases)
    func missingRecordsAreInconsistent(kind: StoreKind) async throws {
        try await kind.withStore { store in
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

    @Test("tickets around a refused one commit; waits are per ticket", arguments: StoreKind.allCases)
    func refusalIsPerTicket(kind: StoreKind) async throws {
        try await kind.withStore { store in
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

    @Test("a record whose contractTxid is not its contract's is refused", arguments: StoreKind.allCases)
    func mismatchedTxidIsRefused(kind: StoreKind) async throws {
        try await kind.withStore { store in
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

    @Test("reads see writes enqueued before them without waiting", arguments: StoreKind.allCases)
    func readsSeeEnqueuedWrites(kind: StoreKind) async throws {
        try await kind.withStore { store in
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

    @Test("an empty enqueue is durable; a ticket never issued is refused", arguments: StoreKind.allCases)
    func emptyAndUnknownTickets(kind: StoreKind) async throws {
        try await kind.withStore { store in
            let ticket = store.enqueue([])
            try await store.waitUntilDurable(ticket)
            let error = await #expect(throws: StoreError.self) {
                try await store.waitUntilDurable(StoreTicket(sequence: ticket.sequence + 1000))
            }
            #expect(error?.kind == .inconsistent)
        }
    }

    @Test("pruning deletes channels that ended before the cutoff, by the store's clock", arguments: StoreKind.allCases)
    func pruning(kind: StoreKind) async throws {
        let clock = ManualClock(now: 1_000)
        try await kind.withStore(clock: clock) { store in
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

    @Test("pruning treats each role on its own when one txid is stored for both", arguments: StoreKind.allCases)
    func pruningPerRole(kind: StoreKind) async throws {
        let clock = ManualClock(now: 1_000)
        try await kind.withStore(clock: clock) { store in
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

    @Test(
        "key indexes count up per family and never repeat, even when reserved concurrently",
        arguments: StoreKind.allCases)
    func keyIndexes(kind: StoreKind) async throws {
        try await kind.withStore { store in
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
}
