import BitcoinPrimitives
import ChannelManager

/// The payment journal's replay (`SQLitePaymentJournal.replayable`), on a file built from the
/// input.
///
/// The input is a sequence of ``FuzzChunks``: each chunk's body (at most one block) is put at
/// the start of a block of its own, the rest of the block zeros, so that a short input makes a
/// file of many blocks and records of several. Before the replay, every record header found at
/// a block boundary gets the right checksum, unless its chunk's control byte has bit 0 set, so
/// that the fuzzer reaches the entry parser and the cycle checks instead of failing on SHA-256.
/// The journal's identity and base are taken from the first block's header, as an owner would
/// have them in its database.
///
/// Checked: the replay never traps; a chunked replay (first chunk one block, doubling, from a
/// prefix source) finds exactly the records of a replay of the whole file; records come in
/// sequence from base + 1, back to back from the file's start; each re-encodes to its bytes on
/// file; and the size its header declares is the size it takes.
public enum FuzzJournal {
    /// At most this many blocks are built (256 KiB).
    static let maxBlocks = 64

    static func run(_ data: [UInt8]) {
        let (file, identity, base) = journalFile(data)
        let whole = file.withUnsafeBytes { SQLitePaymentJournal.replayable($0, identity: identity, base: base) }
        let source = FuzzJournalSource(bytes: file)
        let chunked: [(sequence: UInt64, entries: [JournaledPayment])]
        do {
            chunked = try SQLitePaymentJournal.replayable(
                in: source, identity: identity, base: base, firstChunk: PaymentJournalRecord.blockSize)
        } catch {
            fatalError("fuzz invariant broken: an in-memory replay threw \(error)")
        }
        fuzzInvariant(chunked.map(\.sequence) == whole.map(\.sequence), "the chunked replay finds other records")
        fuzzInvariant(chunked.map(\.entries) == whole.map(\.entries), "the chunked replay reads other entries")
        var offset = 0
        for (index, record) in whole.enumerated() {
            fuzzInvariant(record.sequence == base &+ UInt64(index) &+ 1, "a record out of sequence")
            let encoded = PaymentJournalRecord.encodeUnpadded(
                identity: identity, base: base, sequence: record.sequence, entries: record.entries)
            fuzzInvariant(offset + encoded.count <= file.count, "a record runs past the file")
            fuzzInvariant(
                Array(file[offset..<(offset + encoded.count)]) == encoded, "a record does not re-encode to its bytes")
            let size = PaymentJournalRecord.recordSize(
                payloadSize: encoded.count - PaymentJournalRecord.headerSize - PaymentJournalRecord.checksumSize)
            let declared = file.withUnsafeBytes {
                PaymentJournalRecord.declaredSize(
                    $0, at: offset, identity: identity, base: base, sequence: record.sequence)
            }
            fuzzInvariant(declared == size, "a record's header declares another size")
            offset += size
        }
    }

    /// How many records a replay of the file built from `data` finds (for the seed tests).
    public static func recordsFound(_ data: [UInt8]) -> Int {
        let (file, identity, base) = journalFile(data)
        return file.withUnsafeBytes { SQLitePaymentJournal.replayable($0, identity: identity, base: base).count }
    }

    /// The file built from `data`, with its checksums set, and the identity and base of its
    /// first block's header (zeros when it has none).
    static func journalFile(_ data: [UInt8]) -> (file: [UInt8], identity: [UInt8], base: UInt64) {
        let block = PaymentJournalRecord.blockSize
        var file: [UInt8] = []
        var keepChecksum: [Bool] = []
        for chunk in FuzzChunks(data) {
            guard keepChecksum.count < maxBlocks else { break }
            file += chunk.body.prefix(block)
            file += [UInt8](repeating: 0, count: block - min(chunk.body.count, block))
            keepChecksum.append(chunk.control & 1 != 0)
        }
        var offset = 0
        while offset + PaymentJournalRecord.headerSize <= file.count {
            let header = Array(file[offset..<(offset + PaymentJournalRecord.headerSize)])
            let length = Int(littleEndian(header[36..<40]))
            let end = offset + PaymentJournalRecord.headerSize + length
            guard Array(header[0..<4]) == PaymentJournalRecord.magic,
                end + PaymentJournalRecord.checksumSize <= file.count
            else {
                offset += block
                continue
            }
            if !keepChecksum[offset / block] {
                file.replaceSubrange(
                    end..<(end + PaymentJournalRecord.checksumSize), with: Hashing.sha256(Array(file[offset..<end])))
            }
            offset += PaymentJournalRecord.recordSize(payloadSize: length)
        }
        let identity = file.count >= 20 ? Array(file[4..<20]) : [UInt8](repeating: 0, count: 16)
        let base = file.count >= 28 ? littleEndian(file[20..<28]) : 0
        return (file, identity, base)
    }

    /// Seed inputs: valid journals of several shapes (one record, several, a record of several
    /// blocks, a cycle ended by a stale record), in the chunk format.
    public static func seeds() -> [[UInt8]] {
        let identity = (0..<16).map { UInt8(truncatingIfNeeded: $0 &* 17 &+ 3) }
        let base: UInt64 = 41
        func txid(_ seed: Int) -> Hash256 {
            Hashing.sha256d(Array("journal seed \(seed)".utf8))
        }
        func entries(_ count: Int, signature: Int = 71) -> [JournaledPayment] {
            (0..<count).map { index -> JournaledPayment in
                let amount = (try? Amount(satoshis: Int64(1_000 + index))) ?? .zero
                return index % 3 == 2
                    ? .client(contractTxid: txid(index), valueLeft: amount)
                    : .server(
                        contractTxid: txid(index), bestValueToServer: amount,
                        signature: [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: signature))
            }
        }
        func input(_ batches: [[JournaledPayment]], staleAfter: Bool = false) -> [UInt8] {
            var chunks: [(control: UInt8, body: [UInt8])] = []
            var sequence = base + 1
            var records = batches.map { batch -> [UInt8] in
                defer { sequence += 1 }
                return PaymentJournalRecord.encode(identity: identity, base: base, sequence: sequence, entries: batch)
            }
            if staleAfter {
                records.append(
                    PaymentJournalRecord.encode(
                        identity: identity, base: base - 5, sequence: base - 1, entries: entries(1)))
            }
            for record in records {
                var rest = record[...]
                while !rest.isEmpty {
                    // Trailing zeros of a block are left out: the harness pads blocks.
                    var body = Array(rest.prefix(PaymentJournalRecord.blockSize))
                    while body.last == 0 { body.removeLast() }
                    chunks.append((0, body))
                    rest = rest.dropFirst(PaymentJournalRecord.blockSize)
                }
            }
            return FuzzChunks.encode(chunks)
        }
        return [
            input([entries(1)]),
            input([entries(1), entries(2), entries(3)]),
            input([entries(60)]),
            input([entries(2), entries(40, signature: 73), entries(1)]),
            input([entries(1), entries(1)], staleAfter: true),
            input([entries(5, signature: 0)]),
        ]
    }

    private static func littleEndian<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        bytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }
}

/// A journal file in memory, handed out by prefixes as the store's file would.
struct FuzzJournalSource: PaymentJournalPrefixReading {
    let bytes: [UInt8]

    var size: Int { bytes.count / PaymentJournalRecord.blockSize * PaymentJournalRecord.blockSize }

    func withPrefix<T>(_ count: Int, _ body: (UnsafeRawBufferPointer) -> T) throws(StoreError) -> T {
        let limit = prefixLimit(count)
        return bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[0..<limit])) }
    }
}
