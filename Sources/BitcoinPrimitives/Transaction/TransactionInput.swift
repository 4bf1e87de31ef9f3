/// A transaction input: the output it spends, its unlocking script, sequence and witness.
public struct TransactionInput: Hashable, Sendable {
    /// The output this input spends.
    public var previousOutput: OutPoint
    /// The unlocking script (empty for native segwit spends).
    public var scriptSig: Script
    /// The sequence number (relative lock time, and whether the lock time is in force).
    public var sequence: UInt32
    /// The segregated witness stack (empty for legacy spends).
    public var witness: [[UInt8]]

    /// The default sequence: final, no relative lock time, no replace-by-fee.
    public static let finalSequence: UInt32 = 0xffff_ffff

    /// An input spending `previousOutput`.
    public init(
        previousOutput: OutPoint, scriptSig: Script = .empty, sequence: UInt32 = finalSequence,
        witness: [[UInt8]] = []
    ) {
        self.previousOutput = previousOutput
        self.scriptSig = scriptSig
        self.sequence = sequence
        self.witness = witness
    }
}
