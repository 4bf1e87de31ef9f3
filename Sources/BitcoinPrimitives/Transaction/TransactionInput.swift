/// A transaction input: the output it spends, its unlocking script, sequence and witness.
public struct TransactionInput: Hashable, Sendable {
    public var previousOutput: OutPoint
    public var scriptSig: Script
    public var sequence: UInt32
    /// The segregated witness stack (empty for legacy spends).
    public var witness: [[UInt8]]

    /// The default sequence: final, no relative lock time, no replace-by-fee.
    public static let finalSequence: UInt32 = 0xffff_ffff

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
