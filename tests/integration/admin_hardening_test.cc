// The admin API against what a web page, a local user or a full disk can do to it, with canaryd
// as a process and the real kubectl: browser-style cross-site writes (415, 403), DNS rebinding
// (421), CORS preflights (no permission), hundreds of idle and slowloris connections (kubectl is
// still served at once; silent connections are closed after the first-byte timeout), a store
// that cannot write (503 and a log line naming the object), JSON manifests with a repeated key.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "integration/canaryd_instance.h"
#include "testing/paths.h"

namespace canaryd::testing {
namespace {

using nlohmann::json;

constexpr const char* kVsPath = "/apis/networking.istio.io/v1/namespaces/default/virtualservices";

std::string Example(const std::string& rel) {
  return (SourceDir() / "examples" / "walkthrough" / rel).string();
}

std::string VsJson(const std::string& name, const std::string& annotation = "") {
  json vs = {{"apiVersion", "networking.istio.io/v1"},
             {"kind", "VirtualService"},
             {"metadata", {{"name", name}}},
             {"spec",
              {{"hosts", {"*"}},
               {"gateways", {"web-gateway"}},
               {"http", {{{"route", {{{"destination", {{"host", "web-v1-service"}}}}}}}}}}}};
  if (!annotation.empty()) vs["metadata"]["annotations"]["big"] = annotation;
  return vs.dump();
}

// Client sockets the test opens and must close; all closed when destroyed.
class Sockets {
 public:
  ~Sockets() {
    for (int fd : fds_) close(fd);
  }
  // A connected socket to 127.0.0.1:port, or -1.
  int Open(uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(fd);
      return -1;
    }
    fds_.push_back(fd);
    return fd;
  }
  const std::vector<int>& fds() const { return fds_; }

 private:
  std::vector<int> fds_;
};

bool Send(int fd, const std::string& data) {
  return send(fd, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
}

// Whether the peer has closed `fd` (EOF or reset), waiting up to `timeout`.
bool Closed(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char c;
  return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
}

// Waits (bounded) until canaryd's log contains `text`.
bool WaitForLog(CanarydInstance& c, const std::string& text, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (c.Log().find(text) == std::string::npos) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

TEST(AdminHardening, BrowserStyleWritesAreRefusedAndKubectlStillWorks) {
  if (CanarydInstance::KubectlPath().empty()) GTEST_SKIP() << "no kubectl";
  CanarydInstance c;
  std::string error;
  ASSERT_TRUE(c.Start(&error)) << error;
  const std::string own = "Origin: http://127.0.0.1:" + std::to_string(c.port());
  // What a page may send to any site without a preflight: refused, nothing stored.
  for (const std::vector<std::string>& headers :
       std::vector<std::vector<std::string>>{{},
                                             {"Content-Type: text/plain"},
                                             {"Content-Type: application/x-www-form-urlencoded"},
                                             {"Content-Type: multipart/form-data; boundary=x"}}) {
    HttpReply r = Http(c.port(), "POST", kVsPath, VsJson("web"), headers);
    EXPECT_EQ(r.status, 415) << (headers.empty() ? "none" : headers[0]) << ": " << r.body;
    EXPECT_EQ(json::parse(r.body)["reason"], "UnsupportedMediaType") << r.body;
  }
  // As a page sends it: from another origin, which is refused first.
  HttpReply simple = Http(c.port(), "POST", kVsPath, VsJson("web"),
                          {"Content-Type: text/plain", "Origin: https://evil.example"});
  EXPECT_EQ(simple.status, 403) << simple.body;
  EXPECT_EQ(json::parse(simple.body)["reason"], "Forbidden") << simple.body;
  // A JSON write from another origin (which a browser sends only after a preflight) is refused
  // too; from the listener's own origin (a dashboard it would serve) it passes.
  HttpReply cross = Http(c.port(), "POST", kVsPath, VsJson("web"),
                         {"Content-Type: application/json", "Origin: https://evil.example"});
  EXPECT_EQ(cross.status, 403) << cross.body;
  CommandResult none = c.Kubectl({"get", "vs"});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_NE(none.err.find("No resources found"), std::string::npos) << none.out << none.err;
  HttpReply same =
      Http(c.port(), "POST", kVsPath, VsJson("web"), {"Content-Type: application/json", own});
  EXPECT_EQ(same.status, 201) << same.body;
  // Preflights get no permission.
  HttpReply preflight = Http(c.port(), "OPTIONS", kVsPath, "",
                             {"Origin: https://evil.example", "Access-Control-Request-Method: PUT",
                              "Access-Control-Request-Headers: content-type"});
  EXPECT_EQ(preflight.status, 403);
  EXPECT_EQ(preflight.headers.find("Access-Control-"), std::string::npos) << preflight.headers;

  // kubectl's writes: create (JSON), create namespace (protobuf), replace (PUT), patch, apply
  // (client- and server-side), delete (DELETE with a JSON body).
  WriteFile(c.dir().File("api.json"), VsJson("api"));
  CommandResult created = c.Kubectl({"create", "-f", c.dir().File("api.json")});
  EXPECT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(c.Kubectl({"create", "namespace", "prod"}).exit_code, 0);
  CommandResult replaced = c.Kubectl({"replace", "-f", c.dir().File("api.json")});
  EXPECT_EQ(replaced.exit_code, 0) << replaced.err;
  CommandResult patched =
      c.Kubectl({"patch", "vs", "api", "--type=merge", "-p", R"({"spec":{"hosts":["api"]}})"});
  EXPECT_EQ(patched.exit_code, 0) << patched.err;
  CommandResult applied = c.Kubectl({"apply", "-f", Example("web-gateway-virtualservice.yaml")});
  EXPECT_EQ(applied.exit_code, 0) << applied.err;
  CommandResult ssa = c.Kubectl({"apply", "--server-side", "--force-conflicts", "-f",
                                 Example("steps/web-gateway-virtualservice-90-10.yaml")});
  EXPECT_EQ(ssa.exit_code, 0) << ssa.err;
  CommandResult deleted = c.Kubectl({"delete", "vs", "api", "web"});
  EXPECT_EQ(deleted.exit_code, 0) << deleted.err;
  CommandResult left = c.Kubectl({"get", "vs,ns", "-o", "name", "-A"});
  EXPECT_EQ(left.out,
            "virtualservice.networking.istio.io/web-virtualservice\nnamespace/default\n"
            "namespace/istio-system\nnamespace/prod\n")
      << left.err;
}

TEST(AdminHardening, DnsRebindingIsRefusedByTheHostHeader) {
  CanarydInstance c({.extra_args = {"--admin-host", "canaryd.test"}});
  std::string error;
  ASSERT_TRUE(c.Start(&error)) << error;
  const std::string port = std::to_string(c.port());
  auto get = [&](const std::string& host, const std::string& path) {
    return ParseHttpReply(RawHttp(
        c.port(), "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n"));
  };
  // The page's own name, re-pointed at 127.0.0.1: the browser sends it as Host.
  HttpReply rebound = get("evil.example:" + port, kVsPath);
  EXPECT_EQ(rebound.status, 421) << rebound.body;
  EXPECT_EQ(json::parse(rebound.body)["reason"], "MisdirectedRequest");
  EXPECT_NE(rebound.body.find("--admin-host"), std::string::npos) << rebound.body;
  EXPECT_EQ(get("evil.example:" + port, "/stats/prometheus").status, 421);
  HttpReply write = ParseHttpReply(
      RawHttp(c.port(), "POST " + std::string(kVsPath) + " HTTP/1.1\r\nHost: evil.example:" + port +
                            "\r\nContent-Type: application/json\r\nContent-Length: " +
                            std::to_string(VsJson("web").size()) + "\r\nConnection: close\r\n\r\n" +
                            VsJson("web")));
  EXPECT_EQ(write.status, 421);
  // The listener's own names, and the one given with --admin-host.
  for (const std::string& host :
       {"127.0.0.1:" + port, "localhost:" + port, "canaryd.test:" + port, "[::1]:" + port}) {
    EXPECT_EQ(get(host, kVsPath).status, 200) << host;
  }
  EXPECT_EQ(get("127.0.0.1:1" + port, kVsPath).status, 421);
  // Health checks answer probes whatever name they use.
  EXPECT_EQ(get("10.1.2.3", "/healthz").status, 200);
  if (!CanarydInstance::KubectlPath().empty()) {
    CommandResult r = c.Kubectl({"--server", "http://localhost:" + port, "get", "vs"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
}

TEST(AdminHardening, IdleAndSlowConnectionsDoNotLockKubectlOut) {
  if (CanarydInstance::KubectlPath().empty()) GTEST_SKIP() << "no kubectl";
  // A first-byte timeout far longer than the test: only eviction can make room.
  CanarydInstance c({.extra_args = {"-f", Example("web-gateway-virtualservice.yaml"),
                                    "--admin-first-byte-timeout", "60s"}});
  std::string error;
  ASSERT_TRUE(c.Start(&error)) << error;
  Sockets sockets;
  const std::string host = "Host: 127.0.0.1:" + std::to_string(c.port()) + "\r\n";
  for (int i = 0; i < 64; ++i) {  // slowloris: a request that never ends
    int fd = sockets.Open(c.port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(Send(fd, "GET /api HTTP/1.1\r\n" + host + "X-Slow: a"));
  }
  for (int i = 0; i < 320; ++i) {  // more silent ones than the server has slots and places
    ASSERT_GE(sockets.Open(c.port()), 0) << i;
  }
  // A client that sends its request at once is served, and at once.
  auto start = std::chrono::steady_clock::now();
  CommandResult r = c.Kubectl({"get", "vs"});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("web-virtualservice"), std::string::npos) << r.out;
  EXPECT_LT(took, 10s);
  HttpReply direct = Http(c.port(), "GET", std::string(kVsPath) + "/web-virtualservice");
  EXPECT_EQ(direct.status, 200) << direct.body;
  // What made room were the connections that waited longest: the slowloris ones first.
  int closed = 0;
  for (int i = 0; i < 64; ++i) closed += Closed(sockets.fds()[i], 0ms) ? 1 : 0;
  EXPECT_GT(closed, 0);
  EXPECT_TRUE(c.process()->Running());
}

TEST(AdminHardening, ConnectionsThatSendNothingAreClosedAfterTheFirstByteTimeout) {
  CanarydInstance c;  // the default: 5 s
  std::string error;
  ASSERT_TRUE(c.Start(&error)) << error;
  Sockets sockets;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) ASSERT_GE(sockets.Open(c.port()), 0);
  for (int fd : sockets.fds()) EXPECT_TRUE(Closed(fd, 10s));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 4s);
  EXPECT_LT(took, 10s);
}

TEST(AdminHardening, AStoreThatCannotWriteAnswers503AndLogsTheObject) {
  std::string prlimit = FindExecutable("prlimit", {"/usr/bin/prlimit"});
  if (prlimit.empty()) GTEST_SKIP() << "no prlimit";
  // SQLite's files may not grow past 2 MB: writes then fail with EFBIG (canaryd ignores
  // SIGXFSZ), as they would with ENOSPC on a full disk.
  CanarydInstance c({.wrapper = {prlimit, "--fsize=2000000"}});
  std::string error;
  ASSERT_TRUE(c.Start(&error)) << error;
  const std::string annotation(200 << 10, 'x');
  HttpReply r;
  int created = 0;
  for (; created < 40; ++created) {
    r = Http(c.port(), "POST", kVsPath, VsJson("big-" + std::to_string(created), annotation),
             {"Content-Type: application/json"});
    if (r.status != 201) break;
  }
  ASSERT_GT(created, 0) << r.body;
  ASSERT_LT(created, 40) << "the store never filled up";
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(json::parse(r.body)["reason"], "ServiceUnavailable") << r.body;
  const std::string failed = "big-" + std::to_string(created);
  EXPECT_TRUE(WaitForLog(
      c, "[error] store: cannot create VirtualService default/" + failed + ": ResourceExhausted: ",
      5s))
      << c.Log();
  EXPECT_NE(c.Log().find("File too large"), std::string::npos) << c.Log();
  // Reads still work, and nothing was half written.
  HttpReply list = Http(c.port(), "GET", kVsPath);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(json::parse(list.body)["items"].size(), static_cast<size_t>(created));
  EXPECT_EQ(Http(c.port(), "GET", std::string(kVsPath) + "/" + failed).status, 404);
}

TEST(AdminHardening, JsonManifestsWithARepeatedKeyAreRefused) {
  TempDir dir;
  WriteFile(dir.File("vs.json"), R"({"apiVersion":"networking.istio.io/v1","kind":"VirtualService",
"metadata":{"name":"web"},
"spec":{"hosts":["*"],"hosts":["dup"],"http":[{"route":[{"destination":{"host":"web"}}]}]}})");
  CommandResult check =
      RunCommand({.argv = {CanarydInstance::CanarydPath(), "--check", "-f", dir.File("vs.json")}});
  EXPECT_EQ(check.exit_code, 1);
  EXPECT_NE((check.out + check.err).find("vs.json:3:23: mapping key \"hosts\" already defined"),
            std::string::npos)
      << check.out << check.err;
  CanarydInstance c;
  std::string error;
  ASSERT_TRUE(c.Start(&error)) << error;
  CommandResult apply = c.Canaryctl({"apply", "-f", dir.File("vs.json")});
  EXPECT_NE(apply.exit_code, 0);
  EXPECT_NE((apply.out + apply.err).find("already defined"), std::string::npos)
      << apply.out << apply.err;
  EXPECT_EQ(Http(c.port(), "GET", std::string(kVsPath) + "/web").status, 404);
  HttpReply posted = Http(c.port(), "POST", kVsPath, ReadFile(dir.File("vs.json")),
                          {"Content-Type: application/json"});
  EXPECT_EQ(posted.status, 400);
  EXPECT_NE(posted.body.find("line 3, column 23: mapping key \\\"hosts\\\" already defined at line "
                             "3, column 9"),
            std::string::npos)
      << posted.body;
}

}  // namespace
}  // namespace canaryd::testing
