#include "client/printer.h"

#include <gtest/gtest.h>

namespace canaryd::client {
namespace {

TEST(Printer, TableLikeKubectl) {
  json table = json::parse(R"J({"columnDefinitions":[{"name":"Name","priority":0},
      {"name":"Port(s)","priority":0},{"name":"Selector","priority":1}],
    "rows":[{"cells":["web-v1-service","80/TCP","app=web"],
             "object":{"metadata":{"namespace":"default"}}},
            {"cells":["b","8080/TCP",null],"object":{"metadata":{"namespace":"prod"}}}]})J");
  EXPECT_EQ(PrintTable(table, false, false),
            "NAME             PORT(S)\n"
            "web-v1-service   80/TCP\n"
            "b                8080/TCP\n");
  EXPECT_EQ(PrintTable(table, true, true),
            "NAMESPACE   NAME             PORT(S)    SELECTOR\n"
            "default     web-v1-service   80/TCP     app=web\n"
            "prod        b                8080/TCP   <none>\n");
}

TEST(Printer, ErrorsLikeKubectl) {
  EXPECT_EQ(FormatError(404, R"({"kind":"Status","reason":"NotFound",
                                 "message":"services \"x\" not found"})"),
            "Error from server (NotFound): services \"x\" not found");
  EXPECT_EQ(FormatError(422, R"({"kind":"Status","reason":"Invalid","message":"m",
      "details":{"kind":"VirtualService","name":"web","causes":[
        {"field":"spec.http[0].route[0].weight","message":"must be >= 0"}]}})"),
            "The VirtualService \"web\" is invalid: spec.http[0].route[0].weight: must be >= 0");
  EXPECT_EQ(FormatError(502, "bad gateway"), "error: the server answered 502: bad gateway");
  EXPECT_EQ(DisplayName(config::InfoOf(config::Kind::kVirtualService), "web"),
            "virtualservice.networking.istio.io/web");
  EXPECT_EQ(DisplayName(config::InfoOf(config::Kind::kService), "web"), "service/web");
}

}  // namespace
}  // namespace canaryd::client
