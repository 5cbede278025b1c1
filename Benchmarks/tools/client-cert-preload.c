// LD_PRELOAD shim: makes every OpenSSL client context present a client certificate, so that
// load generators without a client-certificate option (wrk, h2load) can call mutual-TLS servers.
// Set CLIENT_CERT and CLIENT_KEY to PEM files. Build: gcc -shared -fPIC -O2 -o client-cert-preload.so client-cert-preload.c -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_method_st SSL_METHOD;

extern int SSL_CTX_use_certificate_chain_file(SSL_CTX *ctx, const char *file);
extern int SSL_CTX_use_PrivateKey_file(SSL_CTX *ctx, const char *file, int type);

SSL_CTX *SSL_CTX_new(const SSL_METHOD *method) {
    static SSL_CTX *(*real_new)(const SSL_METHOD *) = NULL;
    if (!real_new) real_new = (SSL_CTX * (*)(const SSL_METHOD *)) dlsym(RTLD_NEXT, "SSL_CTX_new");
    SSL_CTX *ctx = real_new(method);
    const char *cert = getenv("CLIENT_CERT");
    const char *key = getenv("CLIENT_KEY");
    if (ctx && cert && key) {
        if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 || SSL_CTX_use_PrivateKey_file(ctx, key, 1 /* SSL_FILETYPE_PEM */) != 1) {
            fprintf(stderr, "client-cert-preload: cannot load %s / %s\n", cert, key);
        }
    }
    return ctx;
}
