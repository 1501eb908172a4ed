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

std::vector<std::string> ColumnNames(config::Kind kind) {
  std::vector<std::string> names;
  const json table = MakeTable(config::InfoOf(kind), {}, "1", 0, IncludeObject::kNone);
  for (const json& c : table["columnDefinitions"]) names.push_back(c["name"]);
  return names;
}

TEST(Table, ConfigMapSecretAndEventColumnsAsKubernetesPrintsThem) {
  int64_t created = 1'700'000'000 * kSecond;
  const std::string ts = FormatTimestamp(created);
  EXPECT_EQ(ColumnNames(config::Kind::kConfigMap),
            (std::vector<std::string>{"Name", "Data", "Age"}));
  json cm = json::parse(R"({"metadata":{"name":"c","creationTimestamp":")" + ts +
                        R"("},"data":{"a":"1","b":"2"},"binaryData":{"c":"eA=="}})");
  EXPECT_EQ(TableCells(config::InfoOf(config::Kind::kConfigMap), cm, created + 3 * kSecond),
            json({"c", 3, "3s"}));
  EXPECT_EQ(ColumnNames(config::Kind::kSecret),
            (std::vector<std::string>{"Name", "Type", "Data", "Age"}));
  json secret = json::parse(R"({"metadata":{"name":"s","creationTimestamp":")" + ts +
                            R"("},"type":"kubernetes.io/tls","data":{"tls.crt":"","tls.key":""}})");
  EXPECT_EQ(TableCells(config::InfoOf(config::Kind::kSecret), secret, created),
            json({"s", "kubernetes.io/tls", 2, "0s"}));

  const std::vector<std::string> event_columns = {"Last Seen", "Type",   "Reason",  "Object",
                                                  "Subobject", "Source", "Message", "First Seen",
                                                  "Count",     "Name"};
  EXPECT_EQ(ColumnNames(config::Kind::kEvent), event_columns);
  EXPECT_EQ(ColumnNames(config::Kind::kEventsEvent), event_columns);
  json legacy = json::parse(R"({"metadata":{"name":"e1"},"type":"Warning","reason":"Failed",
      "message":" 5xx over 5% \n","involvedObject":{"kind":"VirtualService","name":"web",
      "fieldPath":"spec.http[0]"},"source":{"component":"rollout","host":"gw-1"},
      "firstTimestamp":")" + FormatTimestamp(created - 120 * kSecond) +
                            R"(","lastTimestamp":")" + ts + R"(","count":4})");
  EXPECT_EQ(TableCells(config::InfoOf(config::Kind::kEvent), legacy, created + 5 * kSecond),
            json({"5s", "Warning", "Failed", "virtualservice/web", "spec.http[0]", "rollout, gw-1",
                  "5xx over 5%", "2m5s", 4, "e1"}));
  // The events.k8s.io form: eventTime for first and last seen, count 1, the reporting
  // controller as the source; a series' last observation and count.
  json v1 = json::parse(R"({"metadata":{"name":"e2"},"type":"Normal","reason":"Promoted",
      "note":"done","regarding":{"kind":"Namespace"},"reportingController":"canaryd.io/rollout",
      "eventTime":")" + FormatTimestamp(created - 60 * kSecond) +
                        R"("})");
  EXPECT_EQ(TableCells(config::InfoOf(config::Kind::kEventsEvent), v1, created),
            json({"60s", "Normal", "Promoted", "namespace", "", "canaryd.io/rollout", "done", "60s",
                  1, "e2"}));
  v1["series"] = {{"count", 7}, {"lastObservedTime", ts}};
  json cells = TableCells(config::InfoOf(config::Kind::kEventsEvent), v1, created);
  EXPECT_EQ(cells[0], "0s");
  EXPECT_EQ(cells[8], 7);
  EXPECT_EQ(TableCells(config::InfoOf(config::Kind::kEvent), json::object(), created)[0],
            "<unknown>");
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
