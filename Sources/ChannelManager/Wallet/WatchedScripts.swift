import BitcoinPrimitives

/// A key of the wallet: its family and index under the seed.
struct WalletKeyReference: Hashable, Sendable {
    let family: KeyFamily
    let index: UInt32
}

/// How an output pays a wallet key.
enum WalletScriptKind: Sendable, Hashable {
    /// P2WPKH: a segwit input, the only kind that funds a contract.
    case p2wpkh
    /// P2PKH: a legacy input (its txid can be malleated), spent only by a send.
    case p2pkh

    /// The kind of `script`, if it is one the wallet spends.
    init?(_ script: Script) {
        switch script.template {
        case .p2wpkh: self = .p2wpkh
        case .p2pkh: self = .p2pkh
        default: return nil
        }
    }

    /// The script of this kind paying `publicKey`.
    func script(paying publicKey: PublicKey) -> Script {
        switch self {
        case .p2wpkh: return .p2wpkh(publicKey: publicKey)
        case .p2pkh: return .p2pkh(publicKey: publicKey)
        }
    }
}

/// The scripts a wallet watches for, and the key each pays: P2WPKH of its receive and change
/// keys, and P2PKH of the client's channel keys (bitcoinj's layout pays a client's refund and
/// its change in a settlement there). In each family it watches every key up to the gap limit
/// past the last one known used (handed out, or seen paid on the chain).
struct WatchedScripts: Sendable {
    /// The families watched, and how their outputs pay them.
    static let families: [(family: KeyFamily, kind: WalletScriptKind)] = [
        (.walletReceive, .p2wpkh), (.walletChange, .p2wpkh), (.clientChannel, .p2pkh),
    ]

    /// Every watched script, with its key and public key.
    private(set) var keys: [Script: (reference: WalletKeyReference, publicKey: PublicKey)] = [:]
    /// How many keys of each family are derived (indexes below it are watched).
    private(set) var derived: [KeyFamily: UInt32] = [:]
    /// One past the highest index known used, per family.
    private(set) var used: [KeyFamily: UInt32] = [:]

    /// The key `script` pays, if watched.
    func reference(of script: Script) -> WalletKeyReference? { keys[script]?.reference }

    /// Notes that every index of `family` below `count` is used.
    mutating func noteUsed(_ family: KeyFamily, below count: UInt32) {
        used[family] = max(used[family] ?? 0, count)
    }

    /// Derives the keys of every family up to the gap limit past the last used one. Returns
    /// the families whose watched range grew.
    @discardableResult
    mutating func extend(keychain: ChannelKeychain, gapLimit: Int) throws(FundingError) -> [KeyFamily] {
        var grown: [KeyFamily] = []
        for (family, kind) in Self.families {
            let target = min(
                UInt64(used[family] ?? 0) + UInt64(gapLimit), UInt64(ChildNumberLimit.hardenedCount))
            var next = derived[family] ?? 0
            guard UInt64(next) < target else { continue }
            while UInt64(next) < target {
                let reference = WalletKeyReference(family: family, index: next)
                let publicKey = try Self.publicKey(of: reference, keychain: keychain)
                keys[kind.script(paying: publicKey)] = (reference, publicKey)
                next += 1
            }
            derived[family] = next
            grown.append(family)
        }
        return grown
    }

    /// Whether the wallet spends `output`: it pays, P2WPKH or P2PKH as its family watches, the
    /// very key the store names for it.
    func kind(of output: WalletOutput) -> WalletScriptKind? {
        guard let kind = WalletScriptKind(output.scriptPubKey),
            keys[output.scriptPubKey]?.reference == WalletKeyReference(family: output.keyFamily, index: output.keyIndex)
        else { return nil }
        return kind
    }

    /// The descriptors of every watched script (`wpkh(KEY)` or `pkh(KEY)`), by family then index.
    var descriptors: [OutputDescriptor] {
        keys.map { script, key in
            (
                key.reference,
                WalletScriptKind(script) == .p2pkh ? OutputDescriptor.pkh(key.publicKey) : .wpkh(key.publicKey)
            )
        }
        .sorted { ($0.0.family.rawValue, $0.0.index) < ($1.0.family.rawValue, $1.0.index) }
        .map(\.1)
    }

    static func publicKey(of reference: WalletKeyReference, keychain: ChannelKeychain) throws(FundingError)
        -> PublicKey
    {
        do { return try keychain.key(reference.family, index: reference.index).publicKey } catch {
            throw FundingError(
                .unavailable,
                "cannot derive \(ChannelKeychain.path(reference.family, index: reference.index)): \(error)")
        }
    }
}
