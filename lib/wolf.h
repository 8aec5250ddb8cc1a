/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The wolfSSL function table. libwolfssl exports some OpenSSL names, so it
 * is never linked into the preloaded library: it is dlopen'ed with
 * RTLD_LOCAL once and every call goes through this table.
 */
#ifndef ATTLS_WOLF_H
#define ATTLS_WOLF_H

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfio.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/cryptocb.h>
#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/wc_pkcs11.h>

#define ATTLS_WOLF_FUNCS(X)                      \
	X(wolfSSL_Init)                          \
	X(wolfSSLv23_client_method)              \
	X(wolfSSLv23_server_method)              \
	X(wolfSSL_CTX_new)                       \
	X(wolfSSL_CTX_free)                      \
	X(wolfSSL_CTX_use_certificate_chain_buffer) \
	X(wolfSSL_CTX_use_PrivateKey_buffer)     \
	X(wolfSSL_CTX_load_verify_buffer)        \
	X(wolfSSL_CTX_check_private_key)         \
	X(wolfSSL_CTX_set_verify)                \
	X(wolfSSL_set_verify)                    \
	X(wolfSSL_CTX_set_cipher_list)           \
	X(wolfSSL_CTX_set_groups)                \
	X(wolfSSL_CTX_clear_mode)                \
	X(wolfSSL_CTX_set_min_proto_version)     \
	X(wolfSSL_CTX_set_max_proto_version)     \
	X(wolfSSL_CTX_SetDevId)                  \
	X(wolfSSL_SetDevId)                      \
	X(wolfSSL_new)                           \
	X(wolfSSL_free)                          \
	X(wolfSSL_SSLSetIORecv)                  \
	X(wolfSSL_SSLSetIOSend)                  \
	X(wolfSSL_SetIOReadCtx)                  \
	X(wolfSSL_SetIOWriteCtx)                 \
	X(wolfSSL_UseSNI)                        \
	X(wolfSSL_check_domain_name)             \
	X(wolfSSL_connect)                       \
	X(wolfSSL_accept)                        \
	X(wolfSSL_read)                          \
	X(wolfSSL_peek)                          \
	X(wolfSSL_write)                         \
	X(wolfSSL_pending)                       \
	X(wolfSSL_shutdown)                      \
	X(wolfSSL_get_error)                     \
	X(wolfSSL_get_version)                   \
	X(wolfSSL_get_cipher_name)               \
	X(wolfSSL_get_peer_certificate)          \
	X(wolfSSL_X509_get_subject_name)         \
	X(wolfSSL_X509_NAME_entry_count)         \
	X(wolfSSL_X509_NAME_get_entry)           \
	X(wolfSSL_X509_NAME_ENTRY_get_data)      \
	X(wolfSSL_X509_NAME_ENTRY_get_object)    \
	X(wolfSSL_OBJ_obj2nid)                   \
	X(wolfSSL_OBJ_nid2sn)                    \
	X(wolfSSL_ASN1_STRING_data)              \
	X(wolfSSL_ASN1_STRING_length)            \
	X(wolfSSL_X509_free)                     \
	X(wolfSSL_ERR_error_string_n)            \
	X(wc_CryptoCb_RegisterDevice)            \
	X(wc_AesGcmEncrypt)                      \
	X(wc_AesGcmDecrypt)                      \
	X(wc_AesGcmSetKey)                       \
	X(wc_AesInit)                            \
	X(wc_AesFree)                            \
	X(wc_Pkcs11_Initialize)                  \
	X(wc_Pkcs11Token_Init)                   \
	X(wc_Pkcs11Token_Open)                   \
	X(wc_Pkcs11_CryptoDevCb)                 \
	X(wolfSSL_CTX_use_PrivateKey_Label)      \
	X(wolfSSL_CTX_use_PrivateKey_Id)         \
	X(wolfSSL_CTX_use_certificate_buffer)    \
	X(wolfSSL_CTX_set_TicketEncCb)           \
	X(wolfSSL_CTX_set_TicketHint)            \
	X(wolfSSL_CTX_set_TicketEncCtx)          \
	X(wolfSSL_CTX_set_session_id_context)    \
	X(wolfSSL_CTX_set_session_cache_mode)    \
	X(wolfSSL_GetIOReadCtx)                  \
	X(wc_InitSha256)                         \
	X(wc_Sha256Update)                       \
	X(wc_Sha256Final)                        \
	X(wc_Sha256Free)                         \
	X(wolfSSL_CTX_UseSessionTicket)          \
	X(wolfSSL_get1_session)                  \
	X(wolfSSL_set_session)                   \
	X(wolfSSL_SESSION_free)                  \
	X(wolfSSL_SESSION_dup)                   \
	X(wolfSSL_set_SessionTicket_cb)          \
	X(wolfSSL_SESSION_has_ticket)            \
	X(wolfSSL_session_reused)                \
	X(wc_HmacInit)                           \
	X(wc_HmacSetKey)                         \
	X(wc_HmacUpdate)                         \
	X(wc_HmacFinal)                          \
	X(wc_HmacFree)                           \
	X(wolfSSL_get_ciphers_compat)            \
	X(wolfSSL_sk_SSL_CIPHER_num)             \
	X(wolfSSL_sk_SSL_CIPHER_value)           \
	X(wolfSSL_CIPHER_get_name)

struct attls_wolf {
#define ATTLS_WOLF_FIELD(fn) __typeof__(&fn) fn;
	ATTLS_WOLF_FUNCS(ATTLS_WOLF_FIELD)
#undef ATTLS_WOLF_FIELD
};

extern struct attls_wolf attls_wolf;

/*
 * Loads libwolfssl once (thread-safe). Returns 0, or -1 with a reason in
 * err (NUL-terminated, at most errlen bytes).
 */
int attls_wolf_load(char *err, size_t errlen);

/* A readable text for a wolfSSL error code. */
const char *attls_wolf_strerror(int code, char *buf, size_t len);

#endif
