// cpp-httplib, as httplib_client.cc and httplib_server.cc include it (and nothing else does).
//
// The header defines a static object per file whose constructor calls OPENSSL_init_ssl():
// OpenSSL's whole initialisation (its configuration file, the error strings, the algorithm
// tables), run before main() in every program that links eb_http, https or not. Here that call
// is left out, so nothing of OpenSSL runs before main: OpenSSL initialises itself on first use
// (SSL_CTX_new does), and httplib_client.cc makes the same call before a client's first https
// connection.
#pragma once

#include <openssl/ssl.h>  // declares OPENSSL_init_ssl before the macro below renames it

// The one call in httplib.h, detail::SSLInit's constructor: evaluates to success, does nothing.
#define OPENSSL_init_ssl(opts, settings) ((void)(opts), (void)(settings), 1)
#include <httplib.h>
#undef OPENSSL_init_ssl
