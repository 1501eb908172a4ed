// Gateway (networking.istio.io), every field of Istio's API reference, with Describe() (see
// reflect.h): JSON names, documentation, and what canaryd accepts but does not serve yet (servers
// of the HTTPS, HTTP2, GRPC and GRPC-WEB protocols among them). Plain data: build on one thread,
// share read-only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/istio_common_types.h"
#include "config/reflect.h"

namespace canaryd::config {

// The HTTP-family protocols canaryd validates but does not listen for yet (it serves HTTP/1.1).
inline constexpr std::string_view kNotServedProtocols[] = {"HTTPS", "HTTP2", "GRPC", "GRPC-WEB"};

struct GatewayPort {
  uint32_t number = 0;
  std::string protocol;
  std::string name;
  std::optional<uint32_t> target_port;
};
template <class V>
void Describe(V& v, GatewayPort& t) {
  v("number", t.number,
    {.doc = "The port the server listens on (canaryd's --port-map may move it).",
     .required = true});
  v("protocol", t.protocol,
    {.doc = "HTTP, HTTPS, GRPC, GRPC-WEB, HTTP2, MONGO, TCP, TLS, ... (case-insensitive). canaryd "
            "serves HTTP and refuses protocols that are not HTTP.",
     .required = true,
     .not_served = "a server with this protocol",
     .not_served_values = kNotServedProtocols});
  v("name", t.name, {.doc = "A name for the port, unique within the Gateway.", .required = true});
  v("targetPort", t.target_port,
    {.doc = "The port on the endpoint; only meaningful with ServiceEntries, not for Gateways."});
}

struct TLSCertificate {
  std::optional<std::string> server_certificate;
  std::optional<std::string> private_key;
  std::optional<std::string> ca_certificates;
};
template <class V>
void Describe(V& v, TLSCertificate& t) {
  v("serverCertificate", t.server_certificate,
    {.doc = "Path of the file with the server's certificate chain (PEM)."});
  v("privateKey", t.private_key, {.doc = "Path of the file with the server's private key (PEM)."});
  v("caCertificates", t.ca_certificates,
    {.doc = "Path of the file with the CA certificates that verify clients (PEM)."});
}

inline constexpr std::string_view kServerTLSModes[] = {
    "PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"};
inline constexpr std::string_view kTLSProtocols[] = {"TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2",
                                                     "TLSV1_3"};
struct ServerTLSSettings {
  std::optional<bool> https_redirect;
  std::optional<std::string> mode;
  std::optional<std::string> server_certificate;
  std::optional<std::string> private_key;
  std::optional<std::string> ca_certificates;
  std::optional<std::string> ca_crl;
  std::optional<std::string> credential_name;
  std::vector<std::string> credential_names;
  std::optional<std::string> ca_cert_credential_name;
  std::vector<TLSCertificate> tls_certificates;
  std::vector<std::string> subject_alt_names;
  std::vector<std::string> verify_certificate_spki;
  std::vector<std::string> verify_certificate_hash;
  std::optional<std::string> min_protocol_version;
  std::optional<std::string> max_protocol_version;
  std::vector<std::string> cipher_suites;
};
template <class V>
void Describe(V& v, ServerTLSSettings& t) {
  v("httpsRedirect", t.https_redirect,
    {.doc = "On an HTTP server: answer every request with a 301 redirect to https.",
     .not_served = "httpsRedirect"});
  v("mode", t.mode,
    {.doc = "How TLS is handled: SIMPLE (server certificate), MUTUAL or OPTIONAL_MUTUAL (client "
            "certificates too), ISTIO_MUTUAL; PASSTHROUGH and AUTO_PASSTHROUGH are refused "
            "(canaryd terminates TLS).",
     .enum_values = kServerTLSModes});
  v("serverCertificate", t.server_certificate,
    {.doc = "Path of the file with the server's certificate chain (PEM)."});
  v("privateKey", t.private_key, {.doc = "Path of the file with the server's private key (PEM)."});
  v("caCertificates", t.ca_certificates,
    {.doc = "Path of the file with the CA certificates that verify client certificates."});
  v("caCrl", t.ca_crl, {.doc = "Path of a certificate revocation list for client certificates."});
  v("credentialName", t.credential_name,
    {.doc = "The name of a Secret holding the certificate, key and optionally the CA."});
  v("credentialNames", t.credential_names,
    {.doc = "Several such Secrets, for example one RSA and one ECDSA certificate."});
  v("caCertCredentialName", t.ca_cert_credential_name,
    {.doc = "The name of a Secret holding only the CA certificates for client verification."});
  v("tlsCertificates", t.tls_certificates,
    {.doc = "Several certificate and key file pairs, as with credentialNames."});
  v("subjectAltNames", t.subject_alt_names,
    {.doc = "Subject alternative names a client certificate must carry."});
  v("verifyCertificateSpki", t.verify_certificate_spki,
    {.doc = "Base64 SHA-256 hashes of the public keys of accepted client certificates."});
  v("verifyCertificateHash", t.verify_certificate_hash,
    {.doc = "Hex SHA-256 hashes of accepted client certificates."});
  v("minProtocolVersion", t.min_protocol_version,
    {.doc = "The lowest TLS version accepted.", .enum_values = kTLSProtocols});
  v("maxProtocolVersion", t.max_protocol_version,
    {.doc = "The highest TLS version accepted.", .enum_values = kTLSProtocols});
  v("cipherSuites", t.cipher_suites, {.doc = "The cipher suites offered, in order of preference."});
}

struct Server {
  GatewayPort port;
  std::optional<std::string> bind;
  std::vector<std::string> hosts;
  std::optional<ServerTLSSettings> tls;
  std::optional<std::string> default_endpoint;
  std::optional<std::string> name;
};
template <class V>
void Describe(V& v, Server& t) {
  v("port", t.port, {.doc = "The port, protocol and name of this server.", .required = true});
  v("bind", t.bind,
    {.doc = "The address to listen on; canaryd listens on --listen-host.",
     .not_served = "bind (the listener address)"});
  v("hosts", t.hosts,
    {.doc = "The hosts this server serves, optionally as namespace/host to accept only "
            "VirtualServices of that namespace (\"*\", \".\" or a name); \"*\" for any host.",
     .required = true});
  v("tls", t.tls,
    {.doc = "TLS settings: required for HTTPS; on an HTTP server only httpsRedirect may be set."});
  v("defaultEndpoint", t.default_endpoint,
    {.doc = "Where a sidecar forwards traffic (127.0.0.1:PORT or a unix socket); Istio ignores "
            "it on gateways, and so does canaryd."});
  v("name", t.name, {.doc = "An optional name for the server."});
}

struct GatewaySpec {
  std::vector<Server> servers;
  StringMap selector;
};
template <class V>
void Describe(V& v, GatewaySpec& t) {
  v("servers", t.servers, {.doc = "The listeners of the gateway: port, protocol and hosts."});
  v("selector", t.selector,
    {.doc = "The labels of the gateway workloads this Gateway configures; it applies to canaryd "
            "when they are a subset of --gateway-labels (istio=ingressgateway by default)."});
}

}  // namespace canaryd::config
