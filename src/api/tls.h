// TLS for the admin listener. kubectl (client-go) never sends a bearer token over plain HTTP,
// so wherever the admin API requires a token it also speaks TLS: with the certificate and key
// given, or with a self-signed certificate canaryd makes once and keeps in its data directory
// (its SANs cover localhost and the machine's addresses; `canaryctl kubeconfig
// --certificate-authority` embeds it so kubectl verifies the server). TlsContext wraps an
// OpenSSL SSL_CTX: immutable once made, shared by every connection thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

struct ssl_ctx_st;  // SSL_CTX

namespace canaryd::api {

class TlsContext {
 public:
  // A server context from PEM files. kInvalidArgument when they cannot be loaded or do not
  // match.
  static Result<std::shared_ptr<TlsContext>> FromFiles(const std::string& cert_file,
                                                       const std::string& key_file);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  ssl_ctx_st* get() const { return ctx_; }

 private:
  explicit TlsContext(ssl_ctx_st* ctx) : ctx_(ctx) {}
  ssl_ctx_st* ctx_;
};

// Writes a new self-signed certificate (EC P-256, valid ten years, usable as its own CA) for
// `dns_names` and `ip_addresses` to the two files (the key with mode 0600).
Status GenerateSelfSignedCertificate(const std::string& cert_file, const std::string& key_file,
                                     const std::vector<std::string>& dns_names,
                                     const std::vector<std::string>& ip_addresses);

// The loopback addresses, the host name and every address of the machine's interfaces: what a
// self-signed admin certificate should name.
void LocalNamesAndAddresses(std::vector<std::string>* dns_names,
                            std::vector<std::string>* ip_addresses);

}  // namespace canaryd::api
