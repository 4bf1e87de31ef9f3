import CShims

/// Bitcoin's hash functions, computed by OpenSSL's libcrypto through CShims.
public enum Hashing {
    /// SHA-256.
    public static func sha256(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        data.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { paychan_sha256(input.baseAddress, input.count, $0.baseAddress) }
        }
        return out
    }

    /// SHA-256 applied twice (Bitcoin's `hash256`).
    public static func sha256d(_ data: [UInt8]) -> Hash256 {
        var out = [UInt8](repeating: 0, count: 32)
        data.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { paychan_sha256d(input.baseAddress, input.count, $0.baseAddress) }
        }
        return Hash256(internalBytes: out)
    }

    /// RIPEMD-160.
    public static func ripemd160(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 20)
        data.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { paychan_ripemd160(input.baseAddress, input.count, $0.baseAddress) }
        }
        return out
    }

    /// RIPEMD-160 of SHA-256 (Bitcoin's `hash160`).
    public static func hash160(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 20)
        data.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { paychan_hash160(input.baseAddress, input.count, $0.baseAddress) }
        }
        return out
    }

    /// HMAC-SHA512 of `data` keyed with `key`.
    public static func hmacSHA512(key: [UInt8], data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        let ok = key.withUnsafeBufferPointer { k in
            data.withUnsafeBufferPointer { d in
                out.withUnsafeMutableBufferPointer {
                    paychan_hmac_sha512(k.baseAddress, k.count, d.baseAddress, d.count, $0.baseAddress)
                }
            }
        }
        // HMAC-SHA512 with in-memory inputs cannot fail short of memory exhaustion.
        return ok == 1 ? out : []
    }
}
