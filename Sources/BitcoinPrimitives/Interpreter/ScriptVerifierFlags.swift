extension ScriptVerifier {
    /// The verification rules to apply, after Bitcoin Core's `SCRIPT_VERIFY_*` flags.
    ///
    /// Paychan uses ``standard`` (every rule below); the others exist so that Core's own test
    /// vectors, which name the rules they use, can be run as written.
    public struct Flags: OptionSet, Hashable, Sendable {
        /// The flags as bits (their values are Paychan's own, not Core's).
        public let rawValue: UInt32

        /// Flags from their bits.
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// BIP16 pay-to-script-hash.
        public static let p2sh = Flags(rawValue: 1 << 0)
        /// Canonical public keys and defined sighash types (`STRICTENC`).
        public static let strictEncoding = Flags(rawValue: 1 << 1)
        /// BIP66 strict DER signatures (`DERSIG`).
        public static let derSignatures = Flags(rawValue: 1 << 2)
        /// BIP62 low-S signatures (`LOW_S`).
        public static let lowS = Flags(rawValue: 1 << 3)
        /// BIP147: the extra `OP_CHECKMULTISIG` argument must be empty (`NULLDUMMY`).
        public static let nullDummy = Flags(rawValue: 1 << 4)
        /// Every scriptSig must be push-only (`SIGPUSHONLY`).
        public static let sigPushOnly = Flags(rawValue: 1 << 5)
        /// Minimal pushes and minimal numbers (`MINIMALDATA`).
        public static let minimalData = Flags(rawValue: 1 << 6)
        /// Upgradable NOPs fail (`DISCOURAGE_UPGRADABLE_NOPS`).
        public static let discourageUpgradableNops = Flags(rawValue: 1 << 7)
        /// Exactly one stack item must remain (`CLEANSTACK`).
        public static let cleanStack = Flags(rawValue: 1 << 8)
        /// BIP65 `OP_CHECKLOCKTIMEVERIFY` (`CHECKLOCKTIMEVERIFY`); without it the opcode is a NOP.
        public static let checkLockTimeVerify = Flags(rawValue: 1 << 9)
        /// BIP141/143 segwit version 0 (`WITNESS`).
        public static let witness = Flags(rawValue: 1 << 10)
        /// Witness programs of other versions fail (`DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM`).
        public static let discourageUpgradableWitnessProgram = Flags(rawValue: 1 << 11)
        /// `OP_IF` arguments in witness scripts must be empty or `0x01` (`MINIMALIF`).
        public static let minimalIf = Flags(rawValue: 1 << 12)
        /// BIP146: failed signatures must be empty (`NULLFAIL`).
        public static let nullFail = Flags(rawValue: 1 << 13)
        /// Only compressed public keys in segwit scripts (`WITNESS_PUBKEYTYPE`).
        public static let witnessPublicKeyType = Flags(rawValue: 1 << 14)
        /// A signature may not appear in the script it is checked against (`CONST_SCRIPTCODE`).
        public static let constScriptCode = Flags(rawValue: 1 << 15)

        /// Every rule above: what Bitcoin Core's standardness policy applies to the script
        /// types Paychan uses.
        public static let standard: Flags = [
            .p2sh, .strictEncoding, .derSignatures, .lowS, .nullDummy, .minimalData, .discourageUpgradableNops,
            .cleanStack, .checkLockTimeVerify, .witness, .discourageUpgradableWitnessProgram, .minimalIf, .nullFail,
            .witnessPublicKeyType, .constScriptCode,
        ]

        /// The consensus rules of the implemented subset (no policy rules).
        public static let consensus: Flags = [.p2sh, .derSignatures, .nullDummy, .checkLockTimeVerify, .witness]
    }
}
