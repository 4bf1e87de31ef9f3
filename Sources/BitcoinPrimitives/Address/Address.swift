/// A Bitcoin address: what a scriptPubKey pays to, written for people.
///
/// P2PKH and P2SH addresses are base58check (a version byte and a 20-byte hash); segwit
/// addresses are bech32 for version 0 and bech32m for versions 1 to 16 (BIP173, BIP350).
/// Parsing checks everything and throws ``AddressError``; it never traps, whatever the string.
public struct Address: Hashable, Sendable, CustomStringConvertible {
    /// What the address pays to.
    public enum Payload: Hashable, Sendable {
        /// A public key hash (20 bytes).
        case p2pkh(hash160: [UInt8])
        /// A script hash (20 bytes).
        case p2sh(hash160: [UInt8])
        /// A witness program.
        case witness(WitnessProgram)
    }

    /// The network the address is written for. Strings shared by several networks (see
    /// ``Network``) parse to the first of them in `Network.allCases` unless one is asked for.
    public let network: Network
    /// What the address pays to.
    public let payload: Payload

    private init(validated payload: Payload, network: Network) {
        self.payload = payload
        self.network = network
    }

    /// Parses an address of `network`; throws ``AddressError/networkMismatch(expected:)`` for a
    /// valid address of another network.
    public init(_ string: String, network: Network) throws(AddressError) {
        let (payload, networks) = try Self.decode(string)
        guard networks.contains(network) else { throw .networkMismatch(expected: network) }
        self.init(validated: payload, network: network)
    }

    /// Parses an address of any network, detecting which from its prefix. Testnet, signet and
    /// regtest share base58 prefixes and testnet and signet share `tb`: such addresses come back
    /// as testnet; `bcrt1…` as regtest.
    public init(_ string: String) throws(AddressError) {
        let (payload, networks) = try Self.decode(string)
        self.init(validated: payload, network: networks.first ?? .mainnet)
    }

    /// The address `scriptPubKey` pays to; throws ``AddressError/noAddressForScript`` unless it is
    /// P2PKH, P2SH or a witness program.
    public init(scriptPubKey: Script, network: Network) throws(AddressError) {
        switch scriptPubKey.template {
        case .p2pkh(let hash): payload = .p2pkh(hash160: hash)
        case .p2sh(let hash): payload = .p2sh(hash160: hash)
        case let template:
            guard let witness = template.witnessProgram else { throw .noAddressForScript }
            payload = .witness(witness)
        }
        self.network = network
    }

    /// The segwit address of `witnessProgram`.
    public init(witnessProgram: WitnessProgram, network: Network) {
        self.init(validated: .witness(witnessProgram), network: network)
    }

    /// The P2PKH address of `publicKey`.
    public static func p2pkh(publicKey: PublicKey, network: Network) -> Address {
        Address(validated: .p2pkh(hash160: publicKey.hash160), network: network)
    }

    /// The P2SH address of `redeemScript`.
    public static func p2sh(redeemScript: Script, network: Network) -> Address {
        Address(validated: .p2sh(hash160: Hashing.hash160(redeemScript.bytes)), network: network)
    }

    /// The P2WPKH address of `publicKey`.
    public static func p2wpkh(publicKey: PublicKey, network: Network) -> Address {
        Address(validated: .witness(WitnessProgram(validated: 0, publicKey.hash160)), network: network)
    }

    /// The P2WSH address of `witnessScript`.
    public static func p2wsh(witnessScript: Script, network: Network) -> Address {
        Address(
            validated: .witness(WitnessProgram(validated: 0, Hashing.sha256(witnessScript.bytes))), network: network)
    }

    /// The scriptPubKey paying to this address.
    public var scriptPubKey: Script {
        switch payload {
        case .p2pkh(let hash): return Script.p2pkh(validatedHash: hash)
        case .p2sh(let hash): return Script.p2sh(validatedHash: hash)
        case .witness(let witness): return witness.scriptPubKey
        }
    }

    /// The address as a string: base58check, or lower-case bech32/bech32m.
    public var string: String {
        switch payload {
        case .p2pkh(let hash): return Base58Check.encode([network.p2pkhVersion] + hash)
        case .p2sh(let hash): return Base58Check.encode([network.p2shVersion] + hash)
        case .witness(let witness):
            // 8-to-5 regrouping with padding cannot fail.
            let values = [witness.version] + (Bech32.regroup(witness.program, from: 8, to: 5, pad: true) ?? [])
            return Bech32.encode(
                lowercasedHRP: Array(network.bech32HRP.utf8), values: values,
                variant: witness.version == 0 ? .bech32 : .bech32m)
        }
    }

    /// Whether this address is written the same way on `network` (and so is valid there).
    public func isValid(on network: Network) -> Bool {
        switch payload {
        case .p2pkh: return network.p2pkhVersion == self.network.p2pkhVersion
        case .p2sh: return network.p2shVersion == self.network.p2shVersion
        case .witness: return network.bech32HRP == self.network.bech32HRP
        }
    }

    /// The address as a string (``string``).
    public var description: String { string }

    // MARK: Decoding

    /// The payload of `string` and the networks, in `Network.allCases` order, it is valid on.
    private static func decode(_ string: String) throws(AddressError) -> (Payload, [Network]) {
        let decoded: Bech32.Decoded
        do {
            decoded = try Bech32.decode(string)
        } catch {
            if hasSegwitPrefix(string) { throw .bech32(error) }
            return try decodeBase58(string)
        }
        return try decodeSegwit(decoded)
    }

    /// Whether `string` starts, in either case, with a known network's prefix and `1`.
    private static func hasSegwitPrefix(_ string: String) -> Bool {
        let lowered = string.utf8.prefix(5).map { (65...90).contains($0) ? $0 | 0x20 : $0 }
        return Network.allCases.contains { lowered.starts(with: Array(($0.bech32HRP + "1").utf8)) }
    }

    private static func decodeSegwit(_ decoded: Bech32.Decoded) throws(AddressError) -> (Payload, [Network]) {
        let networks = Network.allCases.filter { $0.bech32HRP == decoded.humanReadablePart }
        guard !networks.isEmpty else { throw .unknownHumanReadablePart(decoded.humanReadablePart) }
        guard let version = decoded.values.first else { throw .missingWitnessVersion }
        guard let program = Bech32.regroup(decoded.values.dropFirst(), from: 5, to: 8, pad: false) else {
            throw .invalidPadding
        }
        let witness: WitnessProgram
        do {
            witness = try WitnessProgram(version: version, program: program)
        } catch {
            throw .invalidWitnessProgram(error)
        }
        guard decoded.variant == (version == 0 ? .bech32 : .bech32m) else {
            throw .wrongChecksumVariant(witnessVersion: version)
        }
        return (.witness(witness), networks)
    }

    private static func decodeBase58(_ string: String) throws(AddressError) -> (Payload, [Network]) {
        let bytes: [UInt8]
        do {
            bytes = try Base58Check.decode(string, maxLength: 64)
        } catch {
            throw .base58(error)
        }
        guard bytes.count == 21 else { throw .invalidPayloadLength(bytes.count) }
        let version = bytes[0]
        let hash = Array(bytes[1...])
        let p2pkh = Network.allCases.filter { $0.p2pkhVersion == version }
        if !p2pkh.isEmpty { return (.p2pkh(hash160: hash), p2pkh) }
        let p2sh = Network.allCases.filter { $0.p2shVersion == version }
        if !p2sh.isEmpty { return (.p2sh(hash160: hash), p2sh) }
        throw .unknownVersion(version)
    }
}
