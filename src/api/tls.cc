#include "api/tls.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace canaryd::api {
namespace {

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

bool AddExtension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

}  // namespace

Result<std::shared_ptr<TlsContext>> TlsContext::FromFiles(const std::string& cert_file,
                                                          const std::string& key_file) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return Internal("SSL_CTX_new: " + OpenSslError());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    std::string e = OpenSslError();
    SSL_CTX_free(ctx);
    return InvalidArgument("TLS certificate " + cert_file + ": " + e);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    std::string e = OpenSslError();
    SSL_CTX_free(ctx);
    return InvalidArgument("TLS key " + key_file + ": " + e);
  }
  return std::shared_ptr<TlsContext>(new TlsContext(ctx));
}

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
}

Status GenerateSelfSignedCertificate(const std::string& cert_file, const std::string& key_file,
                                     const std::vector<std::string>& dns_names,
                                     const std::vector<std::string>& ip_addresses) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) return Internal("generating a key: " + OpenSslError());
  X509* cert = X509_new();
  Status status;
  do {
    X509_set_version(cert, 2);
    unsigned char serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f;
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 10L * 365 * 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("canaryd"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("canaryd admin"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    std::string san;
    for (const std::string& d : dns_names) san += (san.empty() ? "" : ",") + ("DNS:" + d);
    for (const std::string& ip : ip_addresses) san += (san.empty() ? "" : ",") + ("IP:" + ip);
    if (!AddExtension(cert, NID_basic_constraints, "critical,CA:TRUE") ||
        !AddExtension(cert, NID_key_usage, "critical,digitalSignature,keyCertSign") ||
        !AddExtension(cert, NID_ext_key_usage, "serverAuth") ||
        !AddExtension(cert, NID_subject_key_identifier, "hash") ||
        (!san.empty() && !AddExtension(cert, NID_subject_alt_name, san))) {
      status = Internal("certificate extensions: " + OpenSslError());
      break;
    }
    if (X509_sign(cert, key, EVP_sha256()) == 0) {
      status = Internal("signing the certificate: " + OpenSslError());
      break;
    }
    std::string key_tmp = key_file + ".tmp", cert_tmp = cert_file + ".tmp";
    mode_t old = umask(077);
    FILE* kf = std::fopen(key_tmp.c_str(), "w");
    umask(old);
    if (kf == nullptr) {
      status = IoError("cannot write " + key_tmp);
      break;
    }
    bool ok = PEM_write_PrivateKey(kf, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    ok &= std::fclose(kf) == 0;
    FILE* cf = std::fopen(cert_tmp.c_str(), "w");
    if (cf == nullptr) {
      status = IoError("cannot write " + cert_tmp);
      break;
    }
    ok &= PEM_write_X509(cf, cert) == 1;
    ok &= std::fclose(cf) == 0;
    if (!ok || std::rename(key_tmp.c_str(), key_file.c_str()) != 0 ||
        std::rename(cert_tmp.c_str(), cert_file.c_str()) != 0) {
      status = IoError("cannot write the certificate files " + cert_file + ", " + key_file);
      break;
    }
  } while (false);
  X509_free(cert);
  EVP_PKEY_free(key);
  return status;
}

void LocalNamesAndAddresses(std::vector<std::string>* dns_names,
                            std::vector<std::string>* ip_addresses) {
  dns_names->push_back("localhost");
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0 && host[0] != '\0' &&
      std::string(host) != "localhost") {
    dns_names->push_back(host);
  }
  ip_addresses->push_back("127.0.0.1");
  ip_addresses->push_back("::1");
  ifaddrs* ifs = nullptr;
  if (getifaddrs(&ifs) != 0) return;
  for (ifaddrs* i = ifs; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    char text[INET6_ADDRSTRLEN] = {};
    if (i->ifa_addr->sa_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, text, sizeof text);
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      auto* a6 = reinterpret_cast<sockaddr_in6*>(i->ifa_addr);
      if (IN6_IS_ADDR_LINKLOCAL(&a6->sin6_addr)) continue;  // needs a zone; not for certificates
      inet_ntop(AF_INET6, &a6->sin6_addr, text, sizeof text);
    } else {
      continue;
    }
    std::string a = text;
    if (std::find(ip_addresses->begin(), ip_addresses->end(), a) == ip_addresses->end()) {
      ip_addresses->push_back(a);
    }
  }
  freeifaddrs(ifs);
}

}  // namespace canaryd::api
