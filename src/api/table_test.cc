#include "api/table.h"

#include <gtest/gtest.h>

#include "api/object_util.h"

namespace canaryd::api {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

TEST(Table, VirtualServiceAndServiceColumns) {
  int64_t created = 1'700'000'000 * kSecond;
  json vs = json::parse(R"({"metadata":{"name":"web","creationTimestamp":")" +
                        FormatTimestamp(created) + R"("},
    "spec":{"hosts":["*"],"gateways":["web-gateway"]}})");
  json cells =
      TableCells(config::InfoOf(config::Kind::kVirtualService), vs, created + 11 * kSecond);
  EXPECT_EQ(cells, json({"web", "[\"web-gateway\"]", "[\"*\"]", "11s"}));

  json svc = json::parse(R"({"metadata":{"name":"web-v1-service","creationTimestamp":")" +
                         FormatTimestamp(created) + R"("},
    "spec":{"type":"ClusterIP","ports":[{"port":80,"protocol":"TCP"}],
            "selector":{"app":"web","version":"v1"}}})");
  json t = MakeTable(config::InfoOf(config::Kind::kService), {svc}, "7", created + 4 * kSecond,
                     IncludeObject::kMetadata);
  EXPECT_EQ(t["metadata"]["resourceVersion"], "7");
  std::vector<std::string> names;
  for (const json& c : t["columnDefinitions"]) names.push_back(c["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"Name", "Type", "Cluster-IP", "External-IP", "Port(s)",
                                             "Age", "Selector"}));
  EXPECT_EQ(t["columnDefinitions"][6]["priority"], 1);  // wide only
  EXPECT_EQ(t["rows"][0]["cells"], json({"web-v1-service", "ClusterIP", "<none>", "<none>",
                                         "80/TCP", "4s", "app=web,version=v1"}));
  EXPECT_EQ(json::parse(MakeTableText(config::InfoOf(config::Kind::kService), {svc}, "7",
                                      created + 4 * kSecond, IncludeObject::kMetadata)),
            t);
  json we = json::parse(R"({"metadata":{"name":"w"},"spec":{"address":"127.0.0.1"}})");
  EXPECT_EQ(TableCells(config::InfoOf(config::Kind::kWorkloadEntry), we, 0)[2], "127.0.0.1");
}

TEST(Table, HumanDurationLikeKubectl) {
  EXPECT_EQ(HumanDuration(0), "0s");
  EXPECT_EQ(HumanDuration(119 * kSecond), "119s");
  EXPECT_EQ(HumanDuration(192 * kSecond), "3m12s");
  EXPECT_EQ(HumanDuration(45 * 60 * kSecond), "45m");
  EXPECT_EQ(HumanDuration((5 * 3600 + 60 * 7) * kSecond), "5h7m");
  EXPECT_EQ(HumanDuration((2 * 86400 + 19 * 3600) * kSecond), "2d19h");
  EXPECT_EQ(ParseTimestamp("2023-11-14T22:13:20Z"), 1'700'000'000 * kSecond);
  EXPECT_EQ(FormatTimestamp(1'700'000'000 * kSecond), "2023-11-14T22:13:20Z");
}

}  // namespace
}  // namespace canaryd::api
