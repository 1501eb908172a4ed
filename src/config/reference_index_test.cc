#include "config/reference_index.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <tuple>

#include "config/loader.h"

namespace canaryd::config {
namespace {

Resource Load(const std::string& text) {
  LoadResult result;
  LoadText(text, "a.yaml", {}, result);
  EXPECT_FALSE(result.diagnostics.has_errors()) << result.diagnostics.ToString() << text;
  EXPECT_EQ(result.resources.size(), 1u) << text;
  return result.resources.at(0);
}

std::string Meta(const std::string& name, const std::string& ns) {
  return "metadata: {name: " + name + ", namespace: " + ns + "}\n";
}

Resource Service(const std::string& name, const std::string& ns, const std::string& ports) {
  return Load("apiVersion: v1\nkind: Service\n" + Meta(name, ns) + "spec:\n  ports: " + ports +
              "\n  selector: {app: " + name + "}\n");
}

Resource Entry(const std::string& name, const std::string& ns, const std::string& hosts,
               const std::string& ports) {
  return Load("apiVersion: networking.istio.io/v1\nkind: ServiceEntry\n" + Meta(name, ns) +
              "spec:\n  hosts: " + hosts + "\n  ports: " + ports + "\n  resolution: NONE\n");
}

Resource Rule(const std::string& name, const std::string& ns, const std::string& host,
              const std::string& subsets) {
  return Load("apiVersion: networking.istio.io/v1\nkind: DestinationRule\n" + Meta(name, ns) +
              "spec:\n  host: \"" + host + "\"\n  subsets: " + subsets + "\n");
}

Resource Gateway(const std::string& name, const std::string& ns) {
  return Load("apiVersion: networking.istio.io/v1\nkind: Gateway\n" + Meta(name, ns) +
              "spec:\n  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: "
              "[\"*\"]}]\n");
}

// Destinations to every kind of name the lookup resolves: short names, name.namespace, FQDNs,
// names under wildcards, subsets, ports, gateways here and elsewhere.
Resource Probe(const std::string& ns) {
  std::string routes;
  for (const char* host : {"web", "api", "web.prod", "api.prod", "web.default.svc.cluster.local",
                           "x.example.com", "deep.foo.example.com", "other.org", "api.default"}) {
    for (const char* extra :
         {"", ", subset: v1", ", subset: v2, port: {number: 80}", ", port: {number: 9000}"}) {
      routes += "    - destination: {host: \"" + std::string(host) + "\"" + extra + "}\n" +
                "      weight: 1\n";
    }
  }
  return Load("apiVersion: networking.istio.io/v1\nkind: VirtualService\n" + Meta("probe", ns) +
              "spec:\n  hosts: [probe.example.com]\n  gateways: [gw, prod/gw, default/edge, "
              "mesh]\n  http:\n  - route:\n" +
              routes);
}

// A model of the store: the objects a full listing gives, in the order it gives them.
using Key = std::tuple<int, std::string, std::string>;  // (kind order, namespace, name)

int Rank(Kind k) {
  switch (k) {
    case Kind::kService:
      return 0;
    case Kind::kServiceEntry:
      return 1;
    case Kind::kGateway:
      return 2;
    default:
      return 3;
  }
}

std::string Reference(const std::map<Key, Resource>& stored, const Resource& probe) {
  std::vector<Resource> all;
  for (const auto& [key, r] : stored) all.push_back(r);
  all.push_back(probe);
  Diagnostics d;
  AnalyzeReferences(all, d);
  return d.ToString();
}

std::string Indexed(const ReferenceIndex& index, const Resource& probe) {
  Diagnostics d;
  AnalyzeVirtualService(probe, index, d);
  return d.ToString();
}

// A random object of the pool: few names, so that objects replace, shadow and delete each
// other often.
Resource RandomObject(std::mt19937& rng) {
  auto pick = [&](std::initializer_list<const char*> options) {
    std::uniform_int_distribution<size_t> d(0, options.size() - 1);
    return std::string(*(options.begin() + d(rng)));
  };
  std::string ns = pick({"default", "prod"});
  switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
    case 0:
      return Service(pick({"web", "api"}), ns,
                     pick({"[{name: http, port: 80}]",
                           "[{name: http, port: 80}, {name: admin, "
                           "port: 9000}]",
                           "[{name: http, port: 8080}]"}));
    case 1:
      return Entry(pick({"ext", "ext2", "ext3"}), ns,
                   pick({"[\"*.example.com\"]", "[x.example.com]", "[\"*.foo.example.com\"]",
                         "[web.prod, x.example.com]", "[web.default.svc.cluster.local]",
                         "[other.org, \"*.example.com\"]"}),
                   pick({"[{number: 80, name: http}]", "[{number: 9000, name: admin}]"}));
    case 2:
      return Rule(
          pick({"r1", "r2", "r3"}), ns,
          pick({"web", "api", "web.prod", "web.default.svc.cluster.local", "x.example.com",
                "*.example.com", "deep.foo.example.com", "*.foo.example.com", "api.default",
                "other.org"}),
          pick({"[{name: v1, labels: {version: v1}}]", "[{name: v2, labels: {version: v2}}]",
                "[{name: v1, labels: {version: v1}}, {name: v2, labels: {version: "
                "v2}}]"}));
    default:
      return Gateway(pick({"gw", "edge"}), ns);
  }
}

TEST(ReferenceIndex, AnswersAsAFullListingDoesThroughRandomChanges) {
  std::mt19937 rng(12345);
  std::map<Key, Resource> stored;
  ReferenceIndex index;
  const Resource probes[] = {Probe("default"), Probe("prod")};
  for (int step = 0; step < 1500; ++step) {
    if (!stored.empty() && std::uniform_int_distribution<int>(0, 3)(rng) == 0) {
      auto it = stored.begin();
      std::advance(it, std::uniform_int_distribution<size_t>(0, stored.size() - 1)(rng));
      const auto& [rank, ns, name] = it->first;
      index.Remove(it->second.kind, ns, name);
      stored.erase(it);
    } else {
      Resource r = RandomObject(rng);
      stored.insert_or_assign(Key{Rank(r.kind), r.ns(), r.name()}, r);
      index.Upsert(r.ns(), r.name(), r);
    }
    for (const Resource& probe : probes) {
      ASSERT_EQ(Indexed(index, probe), Reference(stored, probe))
          << "step " << step << ", " << stored.size() << " objects";
    }
  }
}

TEST(ReferenceIndex, FollowsCreationsChangesAndDeletions) {
  ReferenceIndex index;
  Resource probe = Probe("default");
  auto warns = [&](const std::string& what) {
    return Indexed(index, probe).find(what) != std::string::npos;
  };
  const std::string no_web = "host \"web\" matches no Service";
  EXPECT_TRUE(warns(no_web));
  index.Upsert("default", "web", Service("web", "default", "[{name: http, port: 80}]"));
  EXPECT_FALSE(warns(no_web));
  EXPECT_TRUE(warns("port 9000 is not a port of web.default.svc.cluster.local"));
  // The same Service with another port list: the old one is forgotten.
  index.Upsert("default", "web", Service("web", "default", "[{name: admin, port: 9000}]"));
  EXPECT_FALSE(warns("port 9000 is not a port of web.default.svc.cluster.local"));
  EXPECT_TRUE(warns("port 80 is not a port of web.default.svc.cluster.local"));
  // A Service of that name in another namespace does not answer for this one.
  index.Remove(Kind::kService, "default", "web");
  index.Upsert("prod", "web", Service("web", "prod", "[{name: http, port: 80}]"));
  EXPECT_TRUE(warns(no_web));
  EXPECT_FALSE(warns("host \"web.prod\" matches no Service"));
  // A subset appears with its rule and goes with it; the rule resolves through the Service.
  index.Upsert("default", "web", Service("web", "default", "[{name: http, port: 80}]"));
  const std::string no_v1 =
      "subset \"v1\" is not defined by any DestinationRule for "
      "web.default.svc.cluster.local";
  EXPECT_TRUE(warns(no_v1));
  index.Upsert("default", "r1", Rule("r1", "default", "web", "[{name: v1, labels: {v: v1}}]"));
  EXPECT_FALSE(warns(no_v1));
  index.Upsert("default", "r1", Rule("r1", "default", "api", "[{name: v1, labels: {v: v1}}]"));
  EXPECT_TRUE(warns(no_v1));
  index.Upsert("default", "r1", Rule("r1", "default", "web", "[{name: v1, labels: {v: v1}}]"));
  index.Remove(Kind::kDestinationRule, "default", "r1");
  EXPECT_TRUE(warns(no_v1));
  // Gateways.
  EXPECT_TRUE(warns("gateway \"default/gw\" does not exist"));
  index.Upsert("default", "gw", Gateway("gw", "default"));
  EXPECT_FALSE(warns("gateway \"default/gw\" does not exist"));
  index.Remove(Kind::kGateway, "default", "gw");
  EXPECT_TRUE(warns("gateway \"default/gw\" does not exist"));
  // A ServiceEntry defining the Service's name replaces it; when it goes, the Service is back.
  index.Upsert(
      "prod", "ext",
      Entry("ext", "prod", "[web.default.svc.cluster.local]", "[{number: 9000, name: admin}]"));
  EXPECT_TRUE(warns("port 80 is not a port of web.default.svc.cluster.local"));
  index.Remove(Kind::kServiceEntry, "prod", "ext");
  EXPECT_FALSE(warns("port 80 is not a port of web.default.svc.cluster.local"));
  // Wildcard entries, and a rule on a name under one.
  EXPECT_TRUE(warns("host \"x.example.com\" matches no Service"));
  index.Upsert("default", "ext",
               Entry("ext", "default", "[\"*.example.com\"]", "[{number: 80, name: http}]"));
  EXPECT_FALSE(warns("host \"x.example.com\" matches no Service"));
  EXPECT_TRUE(warns("subset \"v1\" is not defined by any DestinationRule for *.example.com"));
  index.Upsert("prod", "r2",
               Rule("r2", "prod", "deep.foo.example.com", "[{name: v1, labels: {v: v1}}]"));
  EXPECT_FALSE(warns("subset \"v1\" is not defined by any DestinationRule for *.example.com"));
  // A more specific wildcard later in the listing order does not take over: the first wins.
  index.Upsert("prod", "ext",
               Entry("ext", "prod", "[\"*.foo.example.com\"]", "[{number: 9000, name: admin}]"));
  EXPECT_FALSE(warns("port 80 is not a port of *.example.com"));
  EXPECT_FALSE(warns("subset \"v1\" is not defined by any DestinationRule for *.example.com"));
  index.Remove(Kind::kServiceEntry, "default", "ext");
  EXPECT_FALSE(warns("subset \"v1\" is not defined by any DestinationRule for *.foo.example.com"));
  EXPECT_TRUE(warns("host \"x.example.com\" matches no Service"));
}

}  // namespace
}  // namespace canaryd::config
