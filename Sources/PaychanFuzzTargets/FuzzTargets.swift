import BitcoinPrimitives
import ChannelStateMachine

/// The fuzz targets: each takes one arbitrary input and must neither trap nor break an
/// invariant checked here. The libFuzzer entry point (`PaychanFuzz` built with `-DFUZZING`), the
/// corpus replayer (`PaychanFuzz` in a normal build) and the replay tests all call these.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `ChannelMessage(decoding:)`, and re-encoding what decodes.
    case wire
    /// `Transaction(bytes:)`, script parsing and templates, on the transaction's scripts and
    /// on the raw input as a script.
    case transaction
    /// A server machine fed a sequence of client messages (see ``FuzzChunks``).
    case server
    /// A client machine fed a sequence of server messages (see ``FuzzChunks``).
    case client
    /// The payment journal's replay on a file built from the input (see ``FuzzJournal``).
    case journal

    /// Runs this target on one input.
    public func run(_ data: [UInt8]) {
        switch self {
        case .wire: FuzzWire.run(data)
        case .transaction: FuzzTransaction.run(data)
        case .server: FuzzServer.run(data)
        case .client: FuzzClient.run(data)
        case .journal: FuzzJournal.run(data)
        }
    }
}

/// A broken invariant: the fuzzer must see a crash.
func fuzzInvariant(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("fuzz invariant broken: \(message())") }
}

enum FuzzWire {
    static func run(_ data: [UInt8]) {
        guard let message = try? ChannelMessage(decoding: data) else { return }
        let encoded = message.encoded()
        let again: ChannelMessage
        do { again = try ChannelMessage(decoding: encoded) } catch {
            fatalError("fuzz invariant broken: re-encoded \(message.type) does not decode: \(error)")
        }
        fuzzInvariant(again == message, "\(message.type) changes through encode and decode")
        // The zero-copy decoder must agree with the array one.
        let viaBuffer = data.withUnsafeBytes { try? ChannelMessage(decoding: $0) }
        fuzzInvariant(viaBuffer == message, "the buffer decoder disagrees with the array decoder")
    }
}

enum FuzzTransaction {
    static func run(_ data: [UInt8]) {
        exerciseScript(Script(bytes: data))
        guard let tx = try? Transaction(bytes: data) else { return }
        let serialized = tx.serialized
        let reparsed = try? Transaction(bytes: serialized)
        fuzzInvariant(reparsed == tx, "a parsed transaction does not survive serialize and parse")
        _ = tx.txid
        _ = tx.wtxid
        _ = tx.virtualSize
        _ = try? tx.totalOutputValue()
        for input in tx.inputs { exerciseScript(input.scriptSig) }
        for output in tx.outputs { exerciseScript(output.scriptPubKey) }
    }

    static func exerciseScript(_ script: Script) {
        _ = script.description
        _ = ScriptTemplate(script)
        _ = WitnessProgram(scriptPubKey: script)
        guard let operations = try? script.operations() else { return }
        var rebuilt: [UInt8] = []
        for operation in operations { rebuilt += operation.encodedForFuzz }
        // A parsed script is its operations, byte for byte.
        fuzzInvariant(rebuilt == script.bytes, "a parsed script's operations do not re-encode to it")
    }
}

extension ScriptOperation {
    /// The bytes of this operation as it appeared in the script (push opcode, length, data).
    var encodedForFuzz: [UInt8] {
        var bytes = [opcode.rawValue]
        guard let data else { return bytes }
        switch opcode.rawValue {
        case 0x4c: bytes.append(UInt8(data.count))
        case 0x4d: bytes += [UInt8(data.count & 0xff), UInt8(data.count >> 8)]
        case 0x4e:
            bytes += [
                UInt8(data.count & 0xff), UInt8((data.count >> 8) & 0xff), UInt8((data.count >> 16) & 0xff),
                UInt8(data.count >> 24),
            ]
        default: break
        }
        return bytes + data
    }
}
