// canaryd's admin API as a process: restarts keep every resource and resourceVersion, two
// writers with the same stale resourceVersion (exactly one wins), bearer tokens, request limits
// and malformed requests, manifests applied at start, and canaryctl's commands.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <signal.h>

#include <re2/re2.h>
#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "integration/canaryd_instance.h"
#include "testing/paths.h"

namespace canaryd::testing {
namespace {

using nlohmann::json;

std::string Example(const std::string& rel) {
  return (SourceDir() / "examples" / "walkthrough" / rel).string();
}

constexpr const char* kVsPath = "/apis/networking.istio.io/v1/namespaces/default/virtualservices";

TEST(AdminApi, RestartKeepsEveryResourceAndResourceVersion) {
  CanarydInstance c;
  std::string error;
  ASSERT_TRUE(c.Start(&error)) << error;
  ASSERT_EQ(c.Canaryctl({"apply", "-f", Example("")}).exit_code, 0);
  ASSERT_EQ(c.Canaryctl({"apply", "-f", Example("steps/web-gateway-virtualservice-90-10.yaml")})
                .exit_code,
            0);
  auto snapshot = [&]() {
    std::string out;
    for (const char* p : {"/api/v1/namespaces/default/services", kVsPath,
                          "/apis/networking.istio.io/v1/namespaces/default/gateways",
                          "/apis/networking.istio.io/v1/namespaces/default/workloadentries",
                          "/api/v1/namespaces"}) {
      HttpReply r = Http(c.port(), "GET", p);
      EXPECT_EQ(r.status, 200) << p;
      json list = json::parse(r.body);
      for (const json& item : list["items"]) out += item.dump() + "\n";
    }
    return out;
  };
  std::string before = snapshot();
  EXPECT_NE(before.find("\"resourceVersion\""), std::string::npos);
  EXPECT_EQ(std::count(before.begin(), before.end(), '\n'), 2 + 1 + 1 + 2 + 2);
  std::optional<int> code = c.Stop();
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << c.Log();  // SIGTERM: a clean exit
  ASSERT_TRUE(c.Start(&error)) << error;
  EXPECT_EQ(snapshot(), before);
  // kubectl sees the same.
  if (!CanarydInstance::KubectlPath().empty()) {
    CommandResult r = c.Kubectl(
        {"get", "vs", "web-virtualservice", "-o", "jsonpath={.spec.http[0].route[*].weight}"});
    EXPECT_EQ(r.out, "90 10") << r.err;
  }
}

TEST(AdminApi, ConcurrentWritersWithTheSameResourceVersionExactlyOneWins) {
  CanarydInstance c;
  std::string error;
  ASSERT_TRUE(c.Start(&error)) << error;
  ASSERT_EQ(c.Canaryctl({"apply", "-f", Example("web-gateway-virtualservice.yaml")}).exit_code, 0);
  for (int round = 0; round < 5; ++round) {
    HttpReply cur = Http(c.port(), "GET", std::string(kVsPath) + "/web-virtualservice");
    ASSERT_EQ(cur.status, 200);
    json obj = json::parse(cur.body);
    constexpr int kWriters = 8;
    std::atomic<int> ok{0}, conflict{0}, other{0};
    std::vector<std::thread> writers;
    for (int i = 0; i < kWriters; ++i) {
      writers.emplace_back([&, i, round] {
        json mine = obj;
        mine["spec"]["http"][0]["route"][0]["weight"] = 1000 * round + i + 1;
        HttpReply r = Http(c.port(), "PUT", std::string(kVsPath) + "/web-virtualservice",
                           mine.dump(), {"Content-Type: application/json"});
        if (r.status == 200) {
          ++ok;
        } else if (r.status == 409 && json::parse(r.body)["reason"] == "Conflict") {
          ++conflict;
        } else {
          ++other;
        }
      });
    }
    for (auto& t : writers) t.join();
    EXPECT_EQ(ok, 1) << "round " << round;
    EXPECT_EQ(conflict, kWriters - 1);
    EXPECT_EQ(other, 0);
  }
}

TEST(AdminApi, WatchResumesAndCompactedResourceVersionIsGone) {
  CanarydInstance c({.extra_args = {"--watch-history", "5"}});
  std::string error;
  ASSERT_TRUE(c.Start(&error)) << error;
  ASSERT_EQ(c.Canaryctl({"apply", "-f", Example("web-gateway-virtualservice.yaml")}).exit_code, 0);
  std::string rv = json::parse(Http(c.port(), "GET", kVsPath).body)["metadata"]["resourceVersion"];
  for (const char* step : {"steps/web-gateway-virtualservice-90-10.yaml",
                           "steps/web-gateway-virtualservice-50-50.yaml"}) {
    ASSERT_EQ(c.Canaryctl({"apply", "-f", Example(step)}).exit_code, 0);
  }
  // From the list's resourceVersion: exactly the two changes since (timeoutSeconds ends it).
  HttpReply resumed = Http(
      c.port(), "GET", std::string(kVsPath) + "?watch=1&timeoutSeconds=1&resourceVersion=" + rv);
  ASSERT_EQ(resumed.status, 200);
  std::vector<json> events;
  size_t start = 0;
  while (start < resumed.body.size()) {
    size_t nl = resumed.body.find('\n', start);
    events.push_back(json::parse(resumed.body.substr(start, nl - start)));
    start = nl + 1;
  }
  ASSERT_EQ(events.size(), 2u) << resumed.body;
  EXPECT_EQ(events[0]["type"], "MODIFIED");
  EXPECT_EQ(events[1]["object"]["spec"]["http"][0]["route"][0]["weight"], 50);
  // Many changes later the old resourceVersion is compacted away: an ERROR event, 410 Expired.
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(c.Canaryctl({"apply", "-f",
                           Example(i % 2 ? "steps/web-gateway-virtualservice-90-10.yaml"
                                         : "web-gateway-virtualservice.yaml")})
                  .exit_code,
              0);
  }
  HttpReply gone = Http(c.port(), "GET",
                        std::string(kVsPath) + "?watch=1&timeoutSeconds=1&resourceVersion=" + rv);
  ASSERT_EQ(gone.status, 200);
  json event = json::parse(gone.body.substr(0, gone.body.find('\n')));
  EXPECT_EQ(event["type"], "ERROR");
  EXPECT_EQ(event["object"]["code"], 410);
  EXPECT_EQ(event["object"]["reason"], "Expired");
}

TEST(AdminApi, NonLoopbackWithoutTokenIsRefused) {
  CanarydOptions o;
  o.admin = "0.0.0.0:0";
  CanarydInstance c(o);
  std::string error;
  EXPECT_FALSE(c.Start(&error));
  ASSERT_NE(c.process(), nullptr);
  std::optional<int> code = c.process()->Wait(10s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 1);
  EXPECT_NE(c.Log().find("needs a bearer token"), std::string::npos) << c.Log();
}

// Status code of a request made with the curl program (the listener speaks TLS here).
int CurlStatus(CanarydInstance& c, const std::string& path, const std::string& token,
               const std::string& host = "127.0.0.1") {
  std::string curl = FindExecutable("curl", {"/usr/bin/curl"});
  SpawnOptions s;
  s.argv = {curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", c.ca_file()};
  if (!token.empty()) s.argv.insert(s.argv.end(), {"-H", "Authorization: Bearer " + token});
  s.argv.push_back("https://" + host + ":" + std::to_string(c.port()) + path);
  CommandResult r = RunCommand(s, 20s);
  return std::atoi(r.out.c_str());
}

void ExpectTokenChecks(CanarydInstance& c) {
  ASSERT_FALSE(FindExecutable("curl", {"/usr/bin/curl"}).empty());
  EXPECT_EQ(CurlStatus(c, "/api/v1/namespaces", ""), 401);
  EXPECT_EQ(CurlStatus(c, "/api/v1/namespaces", "wrong"), 401);
  EXPECT_EQ(CurlStatus(c, "/api/v1/namespaces", "s3cr3t-token-x"), 401);
  EXPECT_EQ(CurlStatus(c, "/api/v1/namespaces", "s3cr3t-tok"), 401);
  EXPECT_EQ(CurlStatus(c, "/api/v1/namespaces", "s3cr3t-token"), 200);
  EXPECT_EQ(CurlStatus(c, "/healthz", ""), 200);
  EXPECT_EQ(CurlStatus(c, "/readyz", ""), 200);
  // Plain HTTP is not served on a TLS listener.
  EXPECT_NE(Http(c.port(), "GET", "/healthz").status, 200);
  // canaryctl with --token-file (the instance passes it) and the kubeconfig it prints.
  CommandResult ok = c.Canaryctl({"get", "ns"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("istio-system"), std::string::npos);
  if (!CanarydInstance::KubectlPath().empty()) {
    CommandResult k = c.Kubectl({"get", "ns"});
    EXPECT_EQ(k.exit_code, 0) << k.err;
    EXPECT_NE(k.out.find("istio-system"), std::string::npos);
    CommandResult wrong = c.Kubectl({"get", "ns", "--token", "wrong"});
    EXPECT_NE(wrong.exit_code, 0);
    EXPECT_NE(wrong.err.find("You must be logged in to the server"), std::string::npos)
        << wrong.err;
    CommandResult right = c.Kubectl({"get", "ns", "--token", "s3cr3t-token"});
    EXPECT_EQ(right.exit_code, 0) << right.err;
  }
}

TEST(AdminApi, BearerTokenOnAllInterfaces) {
  CanarydOptions o;
  o.admin = "0.0.0.0:0";
  o.token = "s3cr3t-token";
  CanarydInstance c(o);
  std::string error;
  ASSERT_TRUE(c.Start(&error)) << error;
  ExpectTokenChecks(c);
  // Bound to every interface: reachable on the machine's other addresses too, and the
  // self-signed certificate names them, so clients verify it there as well.
  ifaddrs* ifs = nullptr;
  std::string address;
  if (getifaddrs(&ifs) == 0) {
    for (ifaddrs* i = ifs; i != nullptr && address.empty(); i = i->ifa_next) {
      if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
      char text[INET_ADDRSTRLEN] = {};
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, text, sizeof text);
      if (std::string(text).rfind("127.", 0) != 0) address = text;
    }
    freeifaddrs(ifs);
  }
  if (!address.empty()) {
    EXPECT_EQ(CurlStatus(c, "/api/v1/namespaces", "s3cr3t-token", address), 200) << address;
    EXPECT_EQ(CurlStatus(c, "/api/v1/namespaces", "", address), 401) << address;
  }
}

TEST(AdminApi, BearerTokenRequiredOnLoopbackWhenAsked) {
  CanarydOptions o;
  o.token = "s3cr3t-token";
  o.require_token = true;
  CanarydInstance c(o);
  std::string error;
  ASSERT_TRUE(c.Start(&error)) << error;
  ExpectTokenChecks(c);
}

TEST(AdminApi, OversizedAndMalformedRequests) {
  CanarydInstance c;
  std::string error;
  ASSERT_TRUE(c.Start(&error)) << error;
  std::string big(4 << 20, 'x');
  HttpReply too_large = Http(c.port(), "POST", kVsPath, big, {"Content-Type: application/json"});
  EXPECT_EQ(too_large.status, 413);
  EXPECT_EQ(json::parse(too_large.body)["reason"], "RequestEntityTooLarge");
  HttpReply headers = ParseHttpReply(RawHttp(
      c.port(), "GET /api HTTP/1.1\r\nX-Huge: " + std::string(100 << 10, 'h') + "\r\n\r\n"));
  EXPECT_EQ(headers.status, 431);
  for (const std::string& bad :
       {std::string("NOT HTTP AT ALL\r\n\r\n"),
        std::string("GET /api HTTP/1.1\r\nNo-Colon\r\n\r\n"),
        std::string("GET /api HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
        std::string("POST /api HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
        std::string("\0\0\0\0", 4)}) {
    HttpReply r = ParseHttpReply(RawHttp(c.port(), bad, 5s));
    EXPECT_EQ(r.status, 400) << bad;
  }
  // Bodies that are not JSON, JSON that is not an object, JSON nested too deep.
  EXPECT_EQ(Http(c.port(), "POST", kVsPath, "{oops", {"Content-Type: application/json"}).status,
            400);
  EXPECT_EQ(Http(c.port(), "POST", kVsPath, "[1,2]", {"Content-Type: application/json"}).status,
            400);
  std::string deep(100000, '[');
  EXPECT_EQ(Http(c.port(), "POST", kVsPath, deep, {"Content-Type: application/json"}).status, 400);
  EXPECT_EQ(
      Http(c.port(), "PATCH", std::string(kVsPath) + "/x", "{}", {"Content-Type: application/yaml"})
          .status,
      415);
  // Still alive and serving.
  EXPECT_EQ(Http(c.port(), "GET", "/version").status, 200);
  EXPECT_TRUE(c.process()->Running());
}

TEST(AdminApi, ManifestsAppliedAtStartWithApplySemantics) {
  CanarydOptions o;
  o.extra_args = {"-f", "examples/walkthrough"};
  CanarydInstance c(o);
  std::string error;
  ASSERT_TRUE(c.Start(&error)) << error;
  EXPECT_NE(c.Log().find("virtualservice.networking.istio.io/web-virtualservice created"),
            std::string::npos)
      << c.Log();
  HttpReply vs = Http(c.port(), "GET", std::string(kVsPath) + "/web-virtualservice");
  ASSERT_EQ(vs.status, 200);
  std::string rv = json::parse(vs.body)["metadata"]["resourceVersion"];
  ASSERT_TRUE(c.Restart(&error)) << error;
  EXPECT_NE(c.Log().find("virtualservice.networking.istio.io/web-virtualservice unchanged"),
            std::string::npos)
      << c.Log();
  vs = Http(c.port(), "GET", std::string(kVsPath) + "/web-virtualservice");
  EXPECT_EQ(json::parse(vs.body)["metadata"]["resourceVersion"], rv);
  // kubectl's own apply of the same file finds nothing to change: the last-applied annotation
  // canaryd wrote is what kubectl would have written.
  if (!CanarydInstance::KubectlPath().empty()) {
    CommandResult r = c.Kubectl({"apply", "-f", Example("web-gateway-virtualservice.yaml")});
    EXPECT_EQ(r.out,
              "gateway.networking.istio.io/web-gateway unchanged\n"
              "virtualservice.networking.istio.io/web-virtualservice unchanged\n")
        << r.err;
  }
}

TEST(AdminApi, InvalidManifestsAtStartAreRefused) {
  TempDir dir;
  WriteFile(dir.File("bad.yaml"),
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: x\n"
            "spec:\n  hosts: ['*']\n  http:\n  - route:\n    - destination: {host: a}\n"
            "      weight: -1\n");
  CanarydInstance bad({.extra_args = {"-f", dir.File("bad.yaml")}});
  std::string error;
  EXPECT_FALSE(bad.Start(&error));
  EXPECT_NE(bad.Log().find("spec.http[0].route[0].weight: must be >= 0"), std::string::npos)
      << bad.Log();
}

TEST(AdminApi, CanaryctlApplyGetDelete) {
  CanarydInstance c;
  std::string error;
  ASSERT_TRUE(c.Start(&error)) << error;
  CommandResult first = c.Canaryctl({"apply", "-f", Example("web-v1-service.yaml"), "-f",
                                     Example("web-gateway-virtualservice.yaml")});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out,
            "service/web-v1-service created\n"
            "gateway.networking.istio.io/web-gateway created\n"
            "virtualservice.networking.istio.io/web-virtualservice created\n");
  // The VirtualService names web-v2-service, which does not exist yet: a warning, as kubectl
  // prints it.
  EXPECT_NE(first.err.find("Warning: spec.http[0].route[1].destination.host: host "
                           "\"web-v2-service\" matches no Service"),
            std::string::npos)
      << first.err;
  CommandResult again = c.Canaryctl({"apply", "-f", Example("web-gateway-virtualservice.yaml")});
  EXPECT_EQ(again.out,
            "gateway.networking.istio.io/web-gateway unchanged\n"
            "virtualservice.networking.istio.io/web-virtualservice unchanged\n");
  CommandResult step =
      c.Canaryctl({"apply", "-f", Example("steps/web-gateway-virtualservice-90-10.yaml")});
  EXPECT_EQ(step.out,
            "gateway.networking.istio.io/web-gateway unchanged\n"
            "virtualservice.networking.istio.io/web-virtualservice configured\n");

  CommandResult table = c.Canaryctl({"get", "vs"});
  EXPECT_TRUE(RE2::FullMatch(table.out, RE2("NAME +GATEWAYS +HOSTS +AGE\nweb-virtualservice +"
                                            "\\[\"web-gateway\"\\] +\\[\"\\*\"\\] +[0-9]+s\n")))
      << table.out;
  CommandResult wide = c.Canaryctl({"get", "svc", "-o", "wide"});
  EXPECT_NE(wide.out.find("SELECTOR"), std::string::npos);
  EXPECT_NE(wide.out.find("app=web,version=v1"), std::string::npos) << wide.out;
  CommandResult yaml = c.Canaryctl({"get", "vs", "web-virtualservice", "-o", "yaml"});
  EXPECT_NE(yaml.out.find("      weight: 90\n"), std::string::npos) << yaml.out;
  EXPECT_EQ(yaml.out.find("managedFields"), std::string::npos);
  CommandResult js = c.Canaryctl({"get", "gw", "-o", "json"});
  EXPECT_EQ(json::parse(js.out)["items"][0]["metadata"]["name"], "web-gateway");
  CommandResult all = c.Canaryctl({"get", "vs", "-A"});
  EXPECT_EQ(all.out.find("NAMESPACE   NAME"), 0u) << all.out;
  CommandResult empty = c.Canaryctl({"get", "dr"});
  EXPECT_EQ(empty.err, "No resources found in default namespace.\n");
  // StatefulSets are listed in discovery but not served: an empty list, with the reason.
  CommandResult deployments = c.Canaryctl({"get", "statefulsets"});
  EXPECT_EQ(deployments.exit_code, 0) << deployments.err;
  EXPECT_NE(deployments.err.find("Warning: statefulsets.apps are not served: canaryd runs "
                                 "Deployments"),
            std::string::npos)
      << deployments.err;
  CommandResult unknown = c.Canaryctl({"get", "widgets"});
  EXPECT_NE(unknown.exit_code, 0);

  // kubectl's client-side apply works on objects canaryctl applied (three-way patch from the
  // last-applied annotation).
  if (!CanarydInstance::KubectlPath().empty()) {
    CommandResult k =
        c.Kubectl({"apply", "-f", Example("steps/web-gateway-virtualservice-90-10.yaml")});
    EXPECT_EQ(k.out,
              "gateway.networking.istio.io/web-gateway unchanged\n"
              "virtualservice.networking.istio.io/web-virtualservice unchanged\n")
        << k.err;
    k = c.Kubectl({"apply", "-f", Example("steps/web-gateway-virtualservice-50-50.yaml")});
    EXPECT_EQ(k.out,
              "gateway.networking.istio.io/web-gateway unchanged\n"
              "virtualservice.networking.istio.io/web-virtualservice configured\n")
        << k.err;
  }

  CommandResult del = c.Canaryctl({"delete", "-f", Example("web-gateway-virtualservice.yaml")});
  EXPECT_EQ(del.exit_code, 0) << del.err;
  EXPECT_EQ(del.out,
            "gateway.networking.istio.io \"web-gateway\" deleted\n"
            "virtualservice.networking.istio.io \"web-virtualservice\" deleted\n");
  CommandResult gone = c.Canaryctl({"delete", "svc", "nothing"});
  EXPECT_NE(gone.exit_code, 0);
  EXPECT_EQ(gone.err, "Error from server (NotFound): services \"nothing\" not found\n");
  CommandResult invalid_apply = c.Canaryctl({"apply", "-f", Example("")});
  EXPECT_EQ(invalid_apply.exit_code, 0) << invalid_apply.err;
}

TEST(AdminApi, KubeconfigFromCanaryctlWorksWithoutFlags) {
  if (CanarydInstance::KubectlPath().empty()) GTEST_SKIP() << "kubectl is not installed";
  CanarydInstance c;
  std::string error;
  ASSERT_TRUE(c.Start(&error)) << error;
  std::string kubeconfig = ReadFile(c.kubeconfig());
  EXPECT_NE(kubeconfig.find("server: " + c.url()), std::string::npos) << kubeconfig;
  EXPECT_NE(kubeconfig.find("current-context: canaryd"), std::string::npos);
  CommandResult r = c.Kubectl({"get", "vs"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  CommandResult v = c.Kubectl({"version", "-o", "json"});
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_EQ(json::parse(v.out)["serverVersion"]["minor"], "32");
  CommandResult resources = c.Kubectl({"api-resources", "--api-group=networking.istio.io"});
  EXPECT_NE(resources.out.find("virtualservices"), std::string::npos) << resources.out;
  EXPECT_NE(resources.out.find(" vs "), std::string::npos) << resources.out;
  CommandResult explain = c.Kubectl({"explain", "virtualservice.spec.http.route"});
  EXPECT_EQ(explain.exit_code, 0) << explain.err;
  EXPECT_NE(explain.out.find("weight"), std::string::npos) << explain.out;
}

}  // namespace
}  // namespace canaryd::testing
