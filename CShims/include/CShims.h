// CShims: the C layer under Paychan.
//
// Thin, allocation-free wrappers over libsecp256k1 (ECDSA on secp256k1) and OpenSSL's libcrypto
// (SHA-256, RIPEMD-160, HMAC-SHA512), plus the protobuf-c code generated from
// Protos/paymentchannel.proto. Every function validates its inputs and reports failure through
// its return value; none aborts on bad data.
#ifndef PAYCHAN_CSHIMS_H
#define PAYCHAN_CSHIMS_H

#include <stddef.h>
#include <stdint.h>

#include "paymentchannel.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Size of an opaque parsed public key (libsecp256k1's `secp256k1_pubkey`).
#define PAYCHAN_PUBKEY_PARSED_SIZE 64

/// Results of signature verification.
enum {
    PAYCHAN_VERIFY_OK = 1,
    PAYCHAN_VERIFY_INVALID = 0,        ///< well formed, but does not verify
    PAYCHAN_VERIFY_BAD_DER = -1,       ///< not strict (BIP66) DER
    PAYCHAN_VERIFY_HIGH_S = -2,        ///< S above the curve order's half: not canonical
    PAYCHAN_VERIFY_BAD_PUBKEY = -3,    ///< the public key does not parse
};

/// 1 when `seckey` is a valid secret key (non-zero, below the curve order), else 0.
int paychan_seckey_verify(const uint8_t seckey[32]);

/// Derives the public key of `seckey`; writes 33 (compressed) or 65 bytes to `out`.
/// Returns the number of bytes written, or 0 when the secret key is invalid.
size_t paychan_pubkey_create(const uint8_t seckey[32], int compressed, uint8_t out[65]);

/// Parses a 33- or 65-byte SEC public key into libsecp256k1's opaque 64-byte form.
/// Returns 1 on success, 0 when the bytes are not a point on the curve.
int paychan_pubkey_parse(const uint8_t *input, size_t length, uint8_t parsed[PAYCHAN_PUBKEY_PARSED_SIZE]);

/// Serializes a parsed public key, compressed (33 bytes) or not (65). Returns the length.
size_t paychan_pubkey_serialize(const uint8_t parsed[PAYCHAN_PUBKEY_PARSED_SIZE], int compressed, uint8_t out[65]);

/// Adds `tweak32 * G` to a parsed public key in place (for BIP32 public derivation).
/// Returns 1 on success, 0 when the tweak is out of range or the result is infinity.
int paychan_pubkey_tweak_add(uint8_t parsed[PAYCHAN_PUBKEY_PARSED_SIZE], const uint8_t tweak32[32]);

/// Computes `(seckey + tweak32) mod n` in place (for BIP32 private derivation).
/// Returns 1 on success, 0 when the tweak is out of range or the result is zero.
int paychan_seckey_tweak_add(uint8_t seckey[32], const uint8_t tweak32[32]);

/// Signs `hash32` with `seckey`, RFC 6979 nonces, low-S, strict DER into `der` (at most 72 bytes).
/// Returns the DER length, or 0 when the key is invalid.
size_t paychan_ecdsa_sign_der(const uint8_t hash32[32], const uint8_t seckey[32], uint8_t der[72]);

/// Verifies a strict-DER, low-S signature over `hash32` with a SEC-encoded public key.
/// Returns one of the PAYCHAN_VERIFY_ values.
int paychan_ecdsa_verify_der(const uint8_t *der, size_t der_length, const uint8_t hash32[32],
                             const uint8_t *pubkey, size_t pubkey_length);

/// As `paychan_ecdsa_verify_der`, with a key already parsed by `paychan_pubkey_parse`.
int paychan_ecdsa_verify_der_parsed(const uint8_t *der, size_t der_length, const uint8_t hash32[32],
                                    const uint8_t parsed[PAYCHAN_PUBKEY_PARSED_SIZE]);

/// 1 when `der` follows BIP66's strict DER rules (the signature alone, no sighash byte), else 0.
int paychan_is_strict_der(const uint8_t *der, size_t der_length);

/// 1 when a strict-DER signature has S at most half the curve order, 0 when it is high-S,
/// -1 when it does not parse.
int paychan_ecdsa_der_is_low_s(const uint8_t *der, size_t der_length);

/// Rewrites a (lax-parsed) DER signature with low S into `out`; returns the new length or 0.
size_t paychan_ecdsa_der_normalize(const uint8_t *der, size_t der_length, uint8_t out[72]);

/// The RFC 6979 (HMAC-SHA256) nonce libsecp256k1 uses for `hash32` and `seckey`, attempt 0.
/// For tests. Returns 1 on success.
int paychan_rfc6979_nonce(const uint8_t hash32[32], const uint8_t seckey[32], uint8_t nonce32[32]);

/// SHA-256 of `length` bytes.
void paychan_sha256(const uint8_t *data, size_t length, uint8_t out[32]);

/// SHA-256 applied twice (Bitcoin's hash256).
void paychan_sha256d(const uint8_t *data, size_t length, uint8_t out[32]);

/// RIPEMD-160 of `length` bytes.
void paychan_ripemd160(const uint8_t *data, size_t length, uint8_t out[20]);

/// RIPEMD-160 of SHA-256 (Bitcoin's hash160).
void paychan_hash160(const uint8_t *data, size_t length, uint8_t out[20]);

/// HMAC-SHA512 of `data` under `key`. Returns 1 on success.
int paychan_hmac_sha512(const uint8_t *key, size_t key_length, const uint8_t *data, size_t data_length,
                        uint8_t out[64]);

/// Overwrites `length` bytes at `data` with zeros in a way the compiler may not remove.
void paychan_secure_zero(void *data, size_t length);

#ifdef __cplusplus
}
#endif

#endif
