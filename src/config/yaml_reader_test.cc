#include "config/yaml_reader.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace canaryd::config {
namespace {

ParseResult Parse(const std::string& text, ParseLimits limits = {}) {
  return ParseDocuments(text, limits);
}

TEST(YamlReader, ResolvesPlainScalarsWithTheCoreSchema) {
  ParseResult r = Parse(
      "a: 80\nb: \"80\"\nc: 1.5\nd: true\ne: ~\nf: hello\ng: 0x1F\nh: -7\ni: '1.5'\nj: 1e3\n"
      "k:\nl: False\nm: 0o17\n");
  ASSERT_TRUE(r.ok) << r.error.message;
  const Node& n = r.documents.at(0).root;
  EXPECT_TRUE(n.Find("a")->is_int());
  EXPECT_EQ(n.Find("a")->as_int(), 80);
  EXPECT_TRUE(n.Find("b")->is_string());
  EXPECT_EQ(n.Find("b")->as_string(), "80");
  EXPECT_EQ(n.Find("c")->type(), Node::Type::kFloat);
  EXPECT_TRUE(n.Find("d")->is_bool());
  EXPECT_TRUE(n.Find("e")->is_null());
  EXPECT_EQ(n.Find("f")->as_string(), "hello");
  EXPECT_EQ(n.Find("g")->as_int(), 31);
  EXPECT_EQ(n.Find("h")->as_int(), -7);
  EXPECT_TRUE(n.Find("i")->is_string());
  EXPECT_EQ(n.Find("j")->as_double(), 1000);
  EXPECT_TRUE(n.Find("k")->is_null());
  EXPECT_FALSE(n.Find("l")->as_bool());
  EXPECT_EQ(n.Find("m")->as_int(), 15);
}

TEST(YamlReader, RecordsOneBasedPositionsOfValuesAndKeys) {
  ParseResult r = Parse("# comment\nspec:\n  hosts:\n  - \"*\"\n  weight: 10\n");
  ASSERT_TRUE(r.ok);
  const Node& spec = *r.documents[0].root.Find("spec");
  EXPECT_EQ(spec.mark().line, 3);
  EXPECT_EQ(spec.entries()[0].key_mark.line, 3);
  EXPECT_EQ(spec.entries()[0].key_mark.column, 3);
  const Node& host = spec.Find("hosts")->items()[0];
  EXPECT_EQ(host.mark().line, 4);
  EXPECT_EQ(host.mark().column, 5);
  EXPECT_EQ(spec.Find("weight")->mark().line, 5);
  EXPECT_EQ(spec.Find("weight")->mark().column, 11);
}

TEST(YamlReader, SplitsDocumentsAndSkipsEmptyOnes) {
  ParseResult r = Parse("---\na: 1\n---\n# only a comment\n---\nb: 2\n---\n");
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.documents.size(), 2u);
  EXPECT_EQ(r.documents[0].index, 0);
  EXPECT_EQ(r.documents[1].index, 1);
  EXPECT_NE(r.documents[1].root.Find("b"), nullptr);
  EXPECT_EQ(r.documents[1].start.line, 5);
}

TEST(YamlReader, ExpandsAnchorsAliasesAndMergeKeys) {
  ParseResult r = Parse(
      "base: &b {x: 1, y: 2}\n"
      "copy: *b\n"
      "merged:\n  <<: *b\n  y: 3\n"
      "list: &l [1, 2]\n"
      "again: *l\n");
  ASSERT_TRUE(r.ok) << r.error.message;
  const Node& n = r.documents[0].root;
  EXPECT_EQ(n.Find("copy")->Find("x")->as_int(), 1);
  EXPECT_EQ(n.Find("merged")->Find("x")->as_int(), 1);
  EXPECT_EQ(n.Find("merged")->Find("y")->as_int(), 3) << "explicit keys win over merged ones";
  EXPECT_EQ(n.Find("merged")->entries().size(), 2u);
  EXPECT_EQ(n.Find("again")->items().size(), 2u);
}

TEST(YamlReader, ParsesJson) {
  ParseResult r = Parse(R"({"kind": "Service", "spec": {"ports": [{"port": 80, "name": "80"}]}})");
  ASSERT_TRUE(r.ok) << r.error.message;
  const Node& port = r.documents[0].root.Find("spec")->Find("ports")->items()[0];
  EXPECT_TRUE(port.Find("port")->is_int());
  EXPECT_TRUE(port.Find("name")->is_string());
}

TEST(YamlReader, DuplicateKeysAreErrorsNamingBothLines) {
  ParseResult r = Parse("a: 1\nb: 2\na: 3\n");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "mapping key \"a\" already defined at line 1");
  EXPECT_EQ(r.error.mark.line, 3);
  EXPECT_EQ(r.error.mark.column, 1);
}

TEST(YamlReader, MalformedInputGetsAPositionedError) {
  struct Case {
    const char* text;
    int line;
  };
  for (const Case& c : {Case{"a: \"unclosed\nb: 2\n", 3}, Case{"a:\n\tb: 1\n", 2},
                        Case{"a: [1, 2\n", 2}, Case{"a: b: c\n", 1}, Case{"- a\nb: 1\n", 2},
                        Case{"a: *nowhere\n", 1}, Case{"a: !!binary x\n", 1}}) {
    ParseResult r = Parse(c.text);
    EXPECT_FALSE(r.ok) << c.text;
    EXPECT_FALSE(r.error.message.empty()) << c.text;
    EXPECT_EQ(r.error.mark.line, c.line) << c.text << " -> " << r.error.message;
    EXPECT_TRUE(r.documents.empty());
  }
}

TEST(YamlReader, ErrorsExplainThemselves) {
  ParseResult r = Parse("a: \"unclosed\nb: 2\n");
  EXPECT_EQ(r.error.message,
            "found unexpected end of stream (while scanning a quoted scalar that starts at line 1 "
            "column 4)");
  r = Parse("spec:\n\thosts: []\n");
  EXPECT_EQ(r.error.message, "a tab character cannot indent YAML: use spaces");
  EXPECT_EQ(r.error.mark.line, 2);
  EXPECT_EQ(r.error.mark.column, 1);
}

TEST(YamlReader, BillionLaughsStopsEarlyWithBoundedWork) {
  std::string text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i <= 9; ++i) {
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) text += (j ? ", *a" : "*a") + std::to_string(i - 1);
    text += "]\n";
  }
  ParseResult r = Parse(text);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.message.find("excessive aliasing"), std::string::npos) << r.error.message;
  EXPECT_GT(r.error.mark.line, 1);
}

TEST(YamlReader, DeepNestingIsRefused) {
  std::string deep(10000, '[');
  ParseResult r = Parse("a: " + deep);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.message.find("nested deeper than 64"), std::string::npos) << r.error.message;

  std::string block;
  for (int i = 0; i < 100; ++i) block += std::string(i * 2, ' ') + "k:\n";
  r = Parse(block);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.message.find("nested deeper"), std::string::npos) << r.error.message;
}

TEST(YamlReader, OversizedInputIsRefusedBeforeParsing) {
  ParseLimits limits;
  limits.max_bytes = 1024;
  ParseResult r = Parse(std::string(2048, 'a'), limits);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.message, "input is 2048 bytes, more than the limit of 1024");
}

TEST(YamlReader, TooManyNodesIsRefused) {
  ParseLimits limits;
  limits.max_nodes = 100;
  std::string text = "a: [";
  for (int i = 0; i < 200; ++i) text += "1, ";
  text += "1]\n";
  ParseResult r = Parse(text, limits);
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.message.find("too many nodes"), std::string::npos);
}

TEST(YamlReader, NulBytesAreRefused) {
  ParseResult r = Parse(std::string("a: 1\n\0b: 2\n", 11));
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.message.find("NUL"), std::string::npos);
}

// libyaml refuses a ':' before a flow indicator inside a plain scalar of a flow collection;
// kubectl's YAML reader (go-yaml) reads the scalar as a string, and so does canaryd.
TEST(YamlReader, FlowScalarsWithAColonBeforeAFlowIndicatorAreStringsAsInKubectl) {
  ParseResult r = Parse("addresses: [1.2.3.4, 001:db8::]\nnext: [a::, 'it''s', b]\n");
  ASSERT_TRUE(r.ok) << r.error.mark.line << ":" << r.error.mark.column << ": " << r.error.message;
  const Node& root = r.documents.at(0).root;
  const Node& addresses = *root.Find("addresses");
  ASSERT_EQ(addresses.items().size(), 2u);
  EXPECT_EQ(addresses.items()[0].as_string(), "1.2.3.4");
  ASSERT_TRUE(addresses.items()[1].is_string());
  EXPECT_EQ(addresses.items()[1].as_string(), "001:db8::");
  EXPECT_EQ(addresses.items()[1].mark().column, 22);
  const Node& next = *root.Find("next");
  ASSERT_EQ(next.items().size(), 3u);
  EXPECT_EQ(next.items()[0].as_string(), "a::");
  EXPECT_EQ(next.items()[1].as_string(), "it's");
  EXPECT_EQ(next.items()[2].as_string(), "b");
  // Positions after a quoted scalar are the original's.
  EXPECT_EQ(next.items()[1].mark().column, 13);
  EXPECT_EQ(next.items()[2].mark().column, 22);
}

TEST(YamlReader, FlowScalarQuotingKeepsLaterErrorsAndDocumentsInPlace) {
  std::vector<int> handed;
  ParseResult r = ParseDocuments("a: 1\n---\nb: [x::]\n---\nc: [y::, z]\n", {},
                                 [&](Document&& d) { handed.push_back(d.index); });
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(handed, (std::vector<int>{0, 1, 2})) << "each document is handed over once";
  // CR LF line breaks, as libyaml counts them.
  ParseResult crlf = Parse("a: 1\r\nb: [x::, y]\r\n");
  ASSERT_TRUE(crlf.ok) << crlf.error.message;
  EXPECT_EQ(crlf.documents.at(0).root.Find("b")->items().at(0).as_string(), "x::");
  EXPECT_EQ(crlf.documents.at(0).root.Find("b")->items().at(1).mark().column, 10);
  ParseResult bad = Parse("a: [x::, 'it''s', \"unclosed]\n");
  ASSERT_FALSE(bad.ok);
  EXPECT_EQ(bad.error.mark.line, 2);
}

TEST(YamlReader, NonScalarKeysAreRefused) {
  ParseResult r = Parse("? [a, b]\n: 1\n");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.error.message.find("map keys must be strings"), std::string::npos);
}

}  // namespace
}  // namespace canaryd::config
