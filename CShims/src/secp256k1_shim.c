// ECDSA over libsecp256k1 with one shared, read-only context.
#include <pthread.h>
#include <string.h>
#include <sys/random.h>

#include <secp256k1.h>

#include "../include/CShims.h"

static secp256k1_context *shared_context = NULL;
static pthread_once_t shared_context_once = PTHREAD_ONCE_INIT;

static void create_shared_context(void) {
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
    // Blinding only hardens signing against side channels; a fixed seed is still correct.
    unsigned char seed[32];
    if (getrandom(seed, sizeof seed, 0) == (ssize_t)sizeof seed) {
        (void)secp256k1_context_randomize(ctx, seed);
    }
    paychan_secure_zero(seed, sizeof seed);
    shared_context = ctx;
}

// The context is created once; afterwards every call only reads it, which libsecp256k1
// documents as safe from many threads at once.
static const secp256k1_context *context(void) {
    pthread_once(&shared_context_once, create_shared_context);
    return shared_context;
}

int paychan_seckey_verify(const uint8_t seckey[32]) {
    return secp256k1_ec_seckey_verify(context(), seckey);
}

size_t paychan_pubkey_create(const uint8_t seckey[32], int compressed, uint8_t out[65]) {
    secp256k1_pubkey pubkey;
    if (!secp256k1_ec_pubkey_create(context(), &pubkey, seckey)) return 0;
    size_t length = 65;
    secp256k1_ec_pubkey_serialize(context(), out, &length, &pubkey,
                                  compressed ? SECP256K1_EC_COMPRESSED : SECP256K1_EC_UNCOMPRESSED);
    return length;
}

int paychan_pubkey_parse(const uint8_t *input, size_t length, uint8_t parsed[PAYCHAN_PUBKEY_PARSED_SIZE]) {
    if (input == NULL || (length != 33 && length != 65)) return 0;
    secp256k1_pubkey pubkey;
    if (!secp256k1_ec_pubkey_parse(context(), &pubkey, input, length)) return 0;
    memcpy(parsed, pubkey.data, PAYCHAN_PUBKEY_PARSED_SIZE);
    return 1;
}

size_t paychan_pubkey_serialize(const uint8_t parsed[PAYCHAN_PUBKEY_PARSED_SIZE], int compressed, uint8_t out[65]) {
    secp256k1_pubkey pubkey;
    memcpy(pubkey.data, parsed, PAYCHAN_PUBKEY_PARSED_SIZE);
    size_t length = 65;
    if (!secp256k1_ec_pubkey_serialize(context(), out, &length, &pubkey,
                                       compressed ? SECP256K1_EC_COMPRESSED : SECP256K1_EC_UNCOMPRESSED)) {
        return 0;
    }
    return length;
}

int paychan_pubkey_tweak_add(uint8_t parsed[PAYCHAN_PUBKEY_PARSED_SIZE], const uint8_t tweak32[32]) {
    secp256k1_pubkey pubkey;
    memcpy(pubkey.data, parsed, PAYCHAN_PUBKEY_PARSED_SIZE);
    if (!secp256k1_ec_pubkey_tweak_add(context(), &pubkey, tweak32)) return 0;
    memcpy(parsed, pubkey.data, PAYCHAN_PUBKEY_PARSED_SIZE);
    return 1;
}

int paychan_seckey_tweak_add(uint8_t seckey[32], const uint8_t tweak32[32]) {
    return secp256k1_ec_seckey_tweak_add(context(), seckey, tweak32);
}

size_t paychan_ecdsa_sign_der(const uint8_t hash32[32], const uint8_t seckey[32], uint8_t der[72]) {
    secp256k1_ecdsa_signature signature;
    // libsecp256k1 always produces low-S signatures, with RFC 6979 nonces by default.
    if (!secp256k1_ecdsa_sign(context(), &signature, hash32, seckey, secp256k1_nonce_function_rfc6979, NULL)) {
        return 0;
    }
    size_t length = 72;
    if (!secp256k1_ecdsa_signature_serialize_der(context(), der, &length, &signature)) return 0;
    return length;
}

int paychan_is_strict_der(const uint8_t *sig, size_t size) {
    // BIP66: 0x30 [total] 0x02 [R-len] [R] 0x02 [S-len] [S], minimal, positive integers.
    if (sig == NULL || size < 8 || size > 72) return 0;
    if (sig[0] != 0x30) return 0;
    if (sig[1] != size - 2) return 0;
    size_t len_r = sig[3];
    if (5 + len_r >= size) return 0;
    size_t len_s = sig[5 + len_r];
    if (len_r + len_s + 6 != size) return 0;
    if (sig[2] != 0x02) return 0;
    if (len_r == 0) return 0;
    if (sig[4] & 0x80) return 0;
    if (len_r > 1 && sig[4] == 0x00 && !(sig[5] & 0x80)) return 0;
    if (sig[len_r + 4] != 0x02) return 0;
    if (len_s == 0) return 0;
    if (sig[len_r + 6] & 0x80) return 0;
    if (len_s > 1 && sig[len_r + 6] == 0x00 && !(sig[len_r + 7] & 0x80)) return 0;
    return 1;
}

static int parse_strict(const uint8_t *der, size_t der_length, secp256k1_ecdsa_signature *signature) {
    if (!paychan_is_strict_der(der, der_length)) return 0;
    return secp256k1_ecdsa_signature_parse_der(context(), signature, der, der_length);
}

int paychan_ecdsa_der_is_low_s(const uint8_t *der, size_t der_length) {
    secp256k1_ecdsa_signature signature;
    if (!parse_strict(der, der_length, &signature)) return -1;
    return secp256k1_ecdsa_signature_normalize(context(), NULL, &signature) ? 0 : 1;
}

size_t paychan_ecdsa_der_normalize(const uint8_t *der, size_t der_length, uint8_t out[72]) {
    secp256k1_ecdsa_signature signature;
    if (der == NULL || !secp256k1_ecdsa_signature_parse_der(context(), &signature, der, der_length)) return 0;
    secp256k1_ecdsa_signature_normalize(context(), &signature, &signature);
    size_t length = 72;
    if (!secp256k1_ecdsa_signature_serialize_der(context(), out, &length, &signature)) return 0;
    return length;
}

int paychan_ecdsa_verify_der_parsed(const uint8_t *der, size_t der_length, const uint8_t hash32[32],
                                    const uint8_t parsed[PAYCHAN_PUBKEY_PARSED_SIZE]) {
    secp256k1_ecdsa_signature signature;
    if (!parse_strict(der, der_length, &signature)) return PAYCHAN_VERIFY_BAD_DER;
    if (secp256k1_ecdsa_signature_normalize(context(), NULL, &signature)) return PAYCHAN_VERIFY_HIGH_S;
    secp256k1_pubkey pubkey;
    memcpy(pubkey.data, parsed, PAYCHAN_PUBKEY_PARSED_SIZE);
    return secp256k1_ecdsa_verify(context(), &signature, hash32, &pubkey) ? PAYCHAN_VERIFY_OK : PAYCHAN_VERIFY_INVALID;
}

int paychan_ecdsa_verify_der(const uint8_t *der, size_t der_length, const uint8_t hash32[32],
                             const uint8_t *pubkey, size_t pubkey_length) {
    uint8_t parsed[PAYCHAN_PUBKEY_PARSED_SIZE];
    if (!paychan_pubkey_parse(pubkey, pubkey_length, parsed)) return PAYCHAN_VERIFY_BAD_PUBKEY;
    return paychan_ecdsa_verify_der_parsed(der, der_length, hash32, parsed);
}

int paychan_rfc6979_nonce(const uint8_t hash32[32], const uint8_t seckey[32], uint8_t nonce32[32]) {
    return secp256k1_nonce_function_rfc6979(nonce32, hash32, seckey, NULL, NULL, 0);
}
