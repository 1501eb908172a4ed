// Gateway rules, after Istio's validateGateway / validateServer / validateServerTLS.
#include <algorithm>
#include <cctype>
#include <set>

#include "config/validate_kinds.h"

namespace canaryd::config {
namespace {

std::string Upper(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

bool IsHttpFamily(const std::string& protocol) {
  return protocol == "HTTP" || protocol == "HTTPS" || protocol == "HTTP2" || protocol == "GRPC" ||
         protocol == "GRPC-WEB";
}

bool IsKnownProtocol(const std::string& protocol) {
  static const std::set<std::string> kProtocols = {"HTTP",     "HTTPS", "HTTP2", "GRPC",
                                                   "GRPC-WEB", "TCP",   "TLS",   "MONGO",
                                                   "REDIS",    "MYSQL", "UDP",   "UNSUPPORTED"};
  return kProtocols.contains(protocol);
}

void CheckServerHost(Checker& c, const std::string& host) {
  std::string_view dns = host;
  if (auto slash = host.find('/'); slash != std::string::npos) {
    std::string ns = host.substr(0, slash);
    dns = std::string_view(host).substr(slash + 1);
    if (ns != "*" && ns != "." && ns != "~") {
      if (std::string why = CheckDns1123Label(ns); !why.empty()) {
        c.Error("invalid namespace in \"" + host + "\": " + why);
      }
    }
  }
  if (std::string why = CheckHost(dns, true); !why.empty()) {
    c.Error(why);
  } else {
    WarnPartialWildcard(c, dns);
  }
}

void CheckServerTls(Checker& c, const std::string& protocol, const ServerTLSSettings& tls) {
  auto scope = c.path().Field("tls");
  std::string mode = tls.mode.value_or("");
  bool terminates =
      protocol == "HTTPS" || protocol == "TLS" || protocol == "HTTP2" || protocol == "GRPC";
  if (protocol == "HTTP" && !mode.empty()) {
    c.ErrorAt("mode",
              "a plain HTTP server cannot terminate TLS; use protocol HTTPS (httpsRedirect "
              "alone is allowed on HTTP servers)");
  }
  if (terminates && (mode == "SIMPLE" || mode == "MUTUAL" || mode == "OPTIONAL_MUTUAL")) {
    bool has_files = tls.server_certificate && tls.private_key;
    bool has_credential =
        tls.credential_name || !tls.credential_names.empty() || !tls.tls_certificates.empty();
    if (!has_files && !has_credential) {
      c.Error(mode + " TLS needs a credentialName, or serverCertificate and privateKey");
    }
    if ((tls.server_certificate && !tls.private_key) ||
        (!tls.server_certificate && tls.private_key)) {
      c.Error("serverCertificate and privateKey must be set together");
    }
    if ((mode == "MUTUAL" || mode == "OPTIONAL_MUTUAL") && !has_credential &&
        !tls.ca_certificates) {
      c.ErrorAt("caCertificates", mode + " TLS needs caCertificates or a credentialName");
    }
  }
  if (mode == "PASSTHROUGH" || mode == "AUTO_PASSTHROUGH") {
    c.ErrorAt("mode", "TLS " + mode +
                          " is not served: canaryd terminates TLS and routes HTTP; use mode "
                          "SIMPLE or MUTUAL");
  }
  if (tls.min_protocol_version && tls.max_protocol_version &&
      *tls.min_protocol_version != "TLS_AUTO" && *tls.max_protocol_version != "TLS_AUTO" &&
      *tls.min_protocol_version > *tls.max_protocol_version) {
    c.Error("minProtocolVersion is above maxProtocolVersion");
  }
}

}  // namespace

void ValidateGateway(Checker& c, const GatewaySpec& gw) {
  auto spec = c.path().Field("spec");
  if (gw.servers.empty()) c.ErrorAt("servers", "a Gateway needs at least one server");
  CheckLabels(c, "selector", gw.selector);
  std::map<std::string, size_t> names;
  auto scope = c.path().Field("servers");
  for (size_t i = 0; i < gw.servers.size(); ++i) {
    auto idx = c.path().Index(i);
    const Server& s = gw.servers[i];
    {
      auto hosts = c.path().Field("hosts");
      if (s.hosts.empty()) c.Error("a server needs at least one host");
      for (size_t h = 0; h < s.hosts.size(); ++h) {
        auto hi = c.path().Index(h);
        CheckServerHost(c, s.hosts[h]);
      }
    }
    std::string protocol = Upper(s.port.protocol);
    {
      auto port = c.path().Field("port");
      CheckPortNumber(c, "number", s.port.number);
      if (s.port.target_port) CheckPortNumber(c, "targetPort", *s.port.target_port);
      if (!IsKnownProtocol(protocol)) {
        c.ErrorAt("protocol", "unsupported protocol \"" + s.port.protocol +
                                  "\": must be one of HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, TCP, "
                                  "TLS, MONGO, REDIS, MYSQL, UDP");
      } else if (!IsHttpFamily(protocol)) {
        c.ErrorAt("protocol", "protocol " + protocol +
                                  " is not served: canaryd is an HTTP gateway (HTTP, HTTPS, "
                                  "HTTP2, GRPC)");
      }
      if (s.port.name.empty()) {
        c.ErrorAt("name", "required field is missing");
      } else if (auto [it, inserted] = names.emplace(s.port.name, i); !inserted) {
        c.ErrorAt("name", "port names must be unique: \"" + s.port.name +
                              "\" is also used by servers[" + std::to_string(it->second) + "]");
      }
    }
    if ((protocol == "HTTPS" || protocol == "TLS") && !s.tls) {
      c.ErrorAt("tls", protocol + " servers need tls settings");
    }
    if (s.tls) CheckServerTls(c, protocol, *s.tls);
  }
}

}  // namespace canaryd::config
