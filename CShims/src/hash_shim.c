// Hash functions over OpenSSL's libcrypto. The low-level SHA256_Init/Update/Final are the
// fastest entry points for short inputs: in OpenSSL 3 the one-shot SHA256() looks the digest up
// by name (EVP_Q_digest) on every call, 3-4 times the cost of hashing a payment's preimage.
// OpenSSL 3 marks the low-level functions deprecated, which we silence here only.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ripemd.h>
#include <openssl/sha.h>

#include "../include/CShims.h"

void paychan_sha256(const uint8_t *data, size_t length, uint8_t out[32]) {
    SHA256_CTX context;
    SHA256_Init(&context);
    SHA256_Update(&context, data, length);
    SHA256_Final(out, &context);
}

void paychan_sha256d(const uint8_t *data, size_t length, uint8_t out[32]) {
    uint8_t first[32];
    paychan_sha256(data, length, first);
    paychan_sha256(first, sizeof first, out);
}

void paychan_ripemd160(const uint8_t *data, size_t length, uint8_t out[20]) {
    RIPEMD160(data, length, out);
}

void paychan_hash160(const uint8_t *data, size_t length, uint8_t out[20]) {
    uint8_t first[32];
    paychan_sha256(data, length, first);
    RIPEMD160(first, sizeof first, out);
}

int paychan_hmac_sha512(const uint8_t *key, size_t key_length, const uint8_t *data, size_t data_length,
                        uint8_t out[64]) {
    if (key_length > 0x7fffffff) return 0;
    unsigned int out_length = 64;
    static const uint8_t empty = 0;
    if (key == NULL) key = &empty;
    if (data == NULL) data = &empty;
    return HMAC(EVP_sha512(), key, (int)key_length, data, data_length, out, &out_length) != NULL && out_length == 64;
}

void paychan_secure_zero(void *data, size_t length) {
    if (data != NULL && length > 0) OPENSSL_cleanse(data, length);
}
