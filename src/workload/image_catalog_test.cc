#include "workload/image_catalog.h"

#include <gtest/gtest.h>
#include <pwd.h>

#include <algorithm>
#include <string>
#include <vector>

namespace canaryd::workload {
namespace {

std::string Expand(std::string_view in) {
  EnvList vars = {{"VAR", "value"}, {"EMPTY", ""}, {"", "empty-name"}, {"A", "$(VAR)"}};
  // "" is defined here on purpose: Kubernetes looks the empty name up like any other.
  return ExpandVars(in, vars);
}

TEST(Expansion, ReplacesDefinedVariables) {
  EXPECT_EQ(Expand("$(VAR)"), "value");
  EXPECT_EQ(Expand("x$(VAR)y$(VAR)"), "xvalueyvalue");
  EXPECT_EQ(Expand("$(EMPTY)"), "");
  EXPECT_EQ(Expand("--port=$(VAR)"), "--port=value");
}

TEST(Expansion, LeavesUndefinedAsWritten) {
  EXPECT_EQ(Expand("$(UNDEFINED)"), "$(UNDEFINED)");
  EXPECT_EQ(Expand("a$(UNDEFINED)b"), "a$(UNDEFINED)b");
}

TEST(Expansion, ValuesAreNotExpandedAgain) {
  EXPECT_EQ(Expand("$(A)"), "$(VAR)");
}

TEST(Expansion, DollarEscapesAndEdgeCases) {
  EXPECT_EQ(Expand("$$"), "$");
  EXPECT_EQ(Expand("$$$$"), "$$");
  EXPECT_EQ(Expand("$$(VAR)"), "$(VAR)");
  EXPECT_EQ(Expand("$$$(VAR)"), "$value");
  EXPECT_EQ(Expand("$"), "$");
  EXPECT_EQ(Expand("abc$"), "abc$");
  EXPECT_EQ(Expand("$("), "$(");
  EXPECT_EQ(Expand("$(VAR"), "$(VAR");
  EXPECT_EQ(Expand("$($(VAR)"), "$($(VAR)");  // Go reads the name "$(VAR": undefined
  EXPECT_EQ(Expand("$(VAR$(VAR)"), "$(VAR$(VAR)");
  EXPECT_EQ(Expand("$()"), "empty-name");
  EXPECT_EQ(ExpandVars("$()", EnvList{}), "$()");
  EXPECT_EQ(Expand("$VAR"), "$VAR");
  EXPECT_EQ(Expand("${VAR}"), "${VAR}");
  EXPECT_EQ(Expand("$ $)"), "$ $)");
  EXPECT_EQ(Expand("(VAR)"), "(VAR)");
  EXPECT_EQ(Expand(""), "");
  EXPECT_EQ(Expand("$(VAR))"), "value)");
  EXPECT_EQ(Expand("$(VA R)"), "$(VA R)");
}

TEST(ImageRef, SplitsNameTagAndDigest) {
  ImageRef r = ParseImageRef("nginx");
  EXPECT_EQ(r.name, "nginx");
  EXPECT_EQ(r.tag, "latest");
  r = ParseImageRef("localhost:5000/app:1.2");
  EXPECT_EQ(r.name, "localhost:5000/app");
  EXPECT_EQ(r.tag, "1.2");
  r = ParseImageRef("localhost:5000/app");
  EXPECT_EQ(r.name, "localhost:5000/app");
  EXPECT_EQ(r.tag, "latest");
  r = ParseImageRef("app@sha256:abc");
  EXPECT_EQ(r.name, "app");
  EXPECT_EQ(r.tag, "");
  EXPECT_EQ(r.digest, "sha256:abc");
}

TEST(ImageRef, Matching) {
  EXPECT_TRUE(ImageMatches("gardnera/canarytester:*", "gardnera/canarytester:v2"));
  EXPECT_TRUE(ImageMatches("gardnera/canarytester:*", "gardnera/canarytester"));
  EXPECT_FALSE(ImageMatches("gardnera/canarytester:*", "gardnera/canarytester2:v2"));
  EXPECT_FALSE(ImageMatches("gardnera/canarytester:*", "other/canarytester:v2"));
  EXPECT_TRUE(ImageMatches("nginx", "nginx:latest"));
  EXPECT_TRUE(ImageMatches("nginx:latest", "nginx"));
  EXPECT_FALSE(ImageMatches("nginx:1.25", "nginx:1.26"));
  EXPECT_TRUE(ImageMatches("app:v1.*", "app:v1.2"));
  EXPECT_FALSE(ImageMatches("app:v1.*", "app:v2.0"));
  EXPECT_FALSE(ImageMatches("app:*", "app@sha256:abc"));
  EXPECT_TRUE(ImageMatches("app@sha256:abc", "app@sha256:abc"));
  EXPECT_FALSE(ImageMatches("app@sha256:abc", "app@sha256:abd"));
}

TEST(Catalog, ParsesAllFields) {
  auto c = ParseImageCatalog(R"yaml(images:
- image: "example/app:*"
  argv: ["/usr/bin/app", "--port", "$(PORT)"]
  env: {GREETING: hello, LEVEL: "3"}
  workingDir: /tmp
  allowCommand: true
  allowArgs: true
  user: daemon
defaultUser: bin
)yaml",
                             "catalog.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->entries.size(), 1u);
  const CatalogEntry& e = c->entries[0];
  EXPECT_EQ(e.image, "example/app:*");
  EXPECT_EQ(e.argv, (std::vector<std::string>{"/usr/bin/app", "--port", "$(PORT)"}));
  EXPECT_EQ(e.env, (EnvList{{"GREETING", "hello"}, {"LEVEL", "3"}}));
  EXPECT_EQ(e.working_dir, "/tmp");
  EXPECT_TRUE(e.allow_command);
  EXPECT_TRUE(e.allow_args);
  EXPECT_EQ(e.user, "daemon");
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(c->default_user, "bin");
}

void ExpectError(const std::string& yaml, const std::string& expected) {
  auto c = ParseImageCatalog(yaml, "catalog.yaml");
  ASSERT_FALSE(c.ok()) << yaml;
  EXPECT_NE(c.status().message().find(expected), std::string::npos) << c.status().message();
}

TEST(Catalog, ErrorsNameFileLineAndField) {
  ExpectError(
      "images:\n- image: a\n  argv: [/bin/a]\n- image: b\n  argv: [/bin/b]\n"
      "- image: c\n  argv: []\n",
      "catalog.yaml:7: images[2].argv: must be a non-empty list of strings");
  ExpectError("images:\n- image: a\n  argv: [/bin/a, 3]\n",
              "catalog.yaml:3: images[0].argv[1]: must be a string (quote numbers)");
  ExpectError("images:\n- image: a\n  argv: [/bin/a]\n  colour: red\n",
              "catalog.yaml:4: images[0].colour: unknown field");
  ExpectError("images: []\nextra: 1\n", "catalog.yaml:2: extra: unknown field");
  ExpectError("images:\n- argv: [/bin/a]\n", "catalog.yaml:2: images[0].image: required");
  ExpectError("images:\n- image: a\n", "images[0].argv: must be a non-empty list");
  ExpectError("images:\n- image: a\n  argv: [bin/a]\n",
              "catalog.yaml:3: images[0].argv[0]: must be an absolute path");
  ExpectError("images:\n- image: \"a*:1\"\n  argv: [/bin/a]\n", "'*' is allowed only in the tag");
  ExpectError("images:\n- image: \"a@sha256:*\"\n  argv: [/bin/a]\n",
              "'*' is allowed only in the tag");
  ExpectError("images:\n- image: a\n  argv: [/bin/a]\n  env: {PORT: 80}\n",
              "images[0].env.PORT: must be a string");
  ExpectError("images:\n- image: a\n  argv: [/bin/a]\n  allowCommand: yes\n",
              "images[0].allowCommand: must be true or false");
  ExpectError("images:\n- image: a\n  argv: [/bin/a]\n  workingDir: rel\n",
              "images[0].workingDir: must be an absolute path");
  ExpectError("images:\n- image: a\n  argv: [/bin/a]\n- image: a\n  argv: [/bin/b]\n",
              "catalog.yaml:4: images[1].image: duplicate pattern");
  ExpectError("images: {a: 1}\n", "catalog.yaml:1: images: must be a list");
  ExpectError("images: [\n", "catalog.yaml:");
}

TEST(Catalog, EmptyFileIsAnEmptyCatalog) {
  auto c = ParseImageCatalog("", "catalog.yaml");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->entries.empty());
}

TEST(Catalog, LoadReportsMissingFile) {
  auto c = LoadImageCatalog("/nonexistent/catalog.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("/nonexistent/catalog.yaml"), std::string::npos);
}

ImageCatalog Catalog(const std::string& yaml) {
  auto c = ParseImageCatalog(yaml, "catalog.yaml");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  ImageCatalog catalog = c.ok() ? *c : ImageCatalog{};
  AddBuiltinEntries(catalog, "/opt/canaryd/canary-demoapp");
  return catalog;
}

Identity Root() {
  return Identity{true, 0, 0};
}
Identity NonRoot() {
  return Identity{false, 1000, 1000};
}

ContainerRequest Request(std::string image) {
  ContainerRequest r;
  r.image = std::move(image);
  r.runtime = RuntimeVars{31001, "web-1", "default", "127.0.0.2"};
  return r;
}

bool HasUser(const char* name) {
  return getpwnam(name) != nullptr;
}

TEST(Resolve, BuiltinDemoApp) {
  ImageCatalog c = Catalog("");
  auto p = Resolve(c, Request("gardnera/canarytester:v2"), NonRoot());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->argv, (std::vector<std::string>{"/opt/canaryd/canary-demoapp", "--version", "v2",
                                               "--port", "31001", "--listen-host", "127.0.0.2"}));
  EXPECT_EQ(p->env,
            (std::vector<std::string>{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/", "PORT=31001",
                                      "POD_NAME=web-1", "POD_NAMESPACE=default", "POD_IP=127.0.0.2",
                                      "IMAGE_TAG=v2"}));
  EXPECT_EQ(p->working_dir, "/");
  EXPECT_FALSE(p->uid.has_value());
  EXPECT_FALSE(p->gid.has_value());

  p = Resolve(c, Request("gardnera/canarytester"), NonRoot());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->argv[2], "latest");
}

TEST(Resolve, FileEntryOverridesBuiltinAndComesFirst) {
  ImageCatalog c = Catalog(
      "images:\n- image: \"gardnera/canarytester:*\"\n  argv: [/bin/custom, $(IMAGE_TAG)]\n"
      "- image: \"gardnera/canarytester:v1\"\n  argv: [/bin/never]\n");
  ASSERT_EQ(c.entries.size(), 2u);  // no built-in: the file has its pattern
  auto p = Resolve(c, Request("gardnera/canarytester:v1"), NonRoot());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->argv, (std::vector<std::string>{"/bin/custom", "v1"}));

  c = Catalog("images:\n- image: \"gardnera/canarytester:v1\"\n  argv: [/bin/v1only]\n");
  ASSERT_EQ(c.entries.size(), 2u);
  EXPECT_EQ(Resolve(c, Request("gardnera/canarytester:v1"), NonRoot())->argv[0], "/bin/v1only");
  EXPECT_EQ(Resolve(c, Request("gardnera/canarytester:v2"), NonRoot())->argv[0],
            "/opt/canaryd/canary-demoapp");
}

TEST(Resolve, UnknownImageSaysHowToFix) {
  auto p = Resolve(Catalog(""), Request("nginx:1.25"), NonRoot());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(p.status().message().find(
                "image \"nginx:1.25\" is not in the image catalog; add an entry to the file "
                "given with --image-catalog, e.g."),
            std::string::npos)
      << p.status().message();
}

TEST(Resolve, ShellCommandRefusedWithoutAllowCommand) {
  ImageCatalog c = Catalog("images:\n- image: app\n  argv: [/usr/bin/app]\n");
  ContainerRequest r = Request("app");
  r.command = std::vector<std::string>{"/bin/sh", "-c", "echo $(POD_NAME); cat /etc/shadow"};
  auto p = Resolve(c, r, Root());
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("does not allow it"), std::string::npos);
  EXPECT_NE(p.status().message().find("allowCommand: true"), std::string::npos);
  // The built-in entry never allows it either.
  r.image = "gardnera/canarytester:v1";
  EXPECT_FALSE(Resolve(c, r, NonRoot()).ok());
}

TEST(Resolve, ArgsRefusedWithoutAllowArgs) {
  ImageCatalog c = Catalog("images:\n- image: app\n  argv: [/usr/bin/app]\n");
  ContainerRequest r = Request("app");
  r.args = std::vector<std::string>{"--evil"};
  auto p = Resolve(c, r, NonRoot());
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("allowArgs: true"), std::string::npos);
}

TEST(Resolve, CommandAndArgsCombineAsKubernetes) {
  ImageCatalog c = Catalog(
      "images:\n- image: app\n  argv: [/usr/bin/app, --default]\n  allowCommand: true\n"
      "  allowArgs: true\n");
  ContainerRequest r = Request("app");
  r.args = std::vector<std::string>{"--port", "$(PORT)"};
  EXPECT_EQ(Resolve(c, r, NonRoot())->argv,
            (std::vector<std::string>{"/usr/bin/app", "--port", "31001"}));
  r.command = std::vector<std::string>{"/bin/sh", "-c", "echo $(POD_NAME) $$(POD_NAME) $$HOME"};
  EXPECT_EQ(Resolve(c, r, NonRoot())->argv,
            (std::vector<std::string>{"/bin/sh", "-c", "echo web-1 $(POD_NAME) $HOME", "--port",
                                      "31001"}));
  r.args.reset();
  EXPECT_EQ(Resolve(c, r, NonRoot())->argv,
            (std::vector<std::string>{"/bin/sh", "-c", "echo web-1 $(POD_NAME) $HOME"}));
  r.command = std::vector<std::string>{"sh", "-c", "true"};
  auto p = Resolve(c, r, NonRoot());
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("absolute path"), std::string::npos);
}

TEST(Resolve, EnvironmentIsCleanOrderedAndExpanded) {
  ImageCatalog c = Catalog(
      "images:\n- image: app\n  argv: [/usr/bin/app, $(GREETING), $(LATER), $(UNSET)]\n"
      "  env: {GREETING: \"hello $(POD_NAME)\", PORT: \"1\", MODE: catalog}\n");
  ContainerRequest r = Request("app");
  r.env = {{"FIRST", "$(SECOND)"},
           {"SECOND", "2"},
           {"MODE", "pod-$(MODE)"},
           {"POD_NAME", "ignored"},
           {"LATER", "$(FIRST)-$(SECOND)"}};
  auto p = Resolve(c, r, NonRoot());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->env, (std::vector<std::string>{
                        "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/", "PORT=31001",
                        "POD_NAME=web-1", "POD_NAMESPACE=default", "POD_IP=127.0.0.2",
                        "IMAGE_TAG=latest", "GREETING=hello web-1", "MODE=pod-catalog",
                        "FIRST=$(SECOND)", "SECOND=2", "LATER=$(SECOND)-2"}));
  EXPECT_EQ(p->argv,
            (std::vector<std::string>{"/usr/bin/app", "hello web-1", "$(SECOND)-2", "$(UNSET)"}));
  for (const std::string& kv : p->env) {
    EXPECT_NE(kv.rfind("LD_PRELOAD", 0), 0u);
  }
}

TEST(Resolve, WorkingDir) {
  ImageCatalog c = Catalog("images:\n- image: app\n  argv: [/usr/bin/app]\n  workingDir: /srv\n");
  ContainerRequest r = Request("app");
  EXPECT_EQ(Resolve(c, r, NonRoot())->working_dir, "/srv");
  r.working_dir = "/tmp";
  EXPECT_EQ(Resolve(c, r, NonRoot())->working_dir, "/tmp");
  r.working_dir = "tmp";
  EXPECT_FALSE(Resolve(c, r, NonRoot()).ok());
}

TEST(Resolve, RootRunsAsTheEntryUserOrDefaultUser) {
  if (!HasUser("nobody") || !HasUser("daemon")) GTEST_SKIP() << "needs users nobody and daemon";
  struct passwd* nobody = getpwnam("nobody");
  uid_t nobody_uid = nobody->pw_uid;
  gid_t nobody_gid = nobody->pw_gid;
  struct passwd* daemon = getpwnam("daemon");
  uid_t daemon_uid = daemon->pw_uid;
  ImageCatalog c = Catalog(
      "images:\n- image: a\n  argv: [/bin/a]\n- image: d\n  argv: [/bin/d]\n  user: daemon\n");
  auto p = Resolve(c, Request("a"), Root());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->uid, nobody_uid);
  EXPECT_EQ(p->gid, nobody_gid);
  EXPECT_EQ(Resolve(c, Request("d"), Root())->uid, daemon_uid);
  // The built-in entry runs as the default user too.
  EXPECT_EQ(Resolve(c, Request("gardnera/canarytester:v1"), Root())->uid, nobody_uid);
}

TEST(Resolve, RootHonoursNonZeroRunAsUser) {
  if (!HasUser("nobody")) GTEST_SKIP() << "needs user nobody";
  ImageCatalog c = Catalog("images:\n- image: a\n  argv: [/bin/a]\n");
  ContainerRequest r = Request("a");
  r.run_as_user = 4242;
  auto p = Resolve(c, r, Root());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->uid, 4242u);
  EXPECT_EQ(p->gid, 65534u);  // 4242 has no passwd entry on a test machine
  r.run_as_group = 4343;
  EXPECT_EQ(Resolve(c, r, Root())->gid, 4343u);
}

TEST(Resolve, RunAsRootRefusedUnlessEntryUserIsRoot) {
  if (!HasUser("nobody") || !HasUser("root")) GTEST_SKIP() << "needs users nobody and root";
  ImageCatalog c = Catalog(
      "images:\n- image: a\n  argv: [/bin/a]\n- image: r\n  argv: [/bin/r]\n  user: root\n");
  ContainerRequest r = Request("a");
  r.run_as_user = 0;
  auto p = Resolve(c, r, Root());
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("runAsUser 0 (root) is refused"), std::string::npos);
  r.run_as_user.reset();
  r.run_as_group = 0;
  EXPECT_FALSE(Resolve(c, r, Root()).ok());
  r.image = "r";
  r.run_as_user = 0;
  p = Resolve(c, r, Root());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->uid, 0u);
  EXPECT_EQ(p->gid, 0u);
}

TEST(Resolve, UnknownUserRefused) {
  ImageCatalog c = Catalog("images:\n- image: a\n  argv: [/bin/a]\n  user: no-such-user-canaryd\n");
  auto p = Resolve(c, Request("a"), Root());
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("\"no-such-user-canaryd\""), std::string::npos);
  // When canaryd is not root it does not switch user, so the name is not needed.
  EXPECT_TRUE(Resolve(c, Request("a"), NonRoot()).ok());
}

TEST(Resolve, NonRootCannotChangeUser) {
  ImageCatalog c = Catalog("images:\n- image: a\n  argv: [/bin/a]\n");
  ContainerRequest r = Request("a");
  r.run_as_user = 1000;  // its own uid: fine, nothing to change
  auto p = Resolve(c, r, NonRoot());
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->uid.has_value());
  r.run_as_user = 1001;
  p = Resolve(c, r, NonRoot());
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("cannot change user"), std::string::npos);
  r.run_as_user = 0;
  EXPECT_FALSE(Resolve(c, r, NonRoot()).ok());
  r.run_as_user.reset();
  r.run_as_group = 5;
  EXPECT_FALSE(Resolve(c, r, NonRoot()).ok());
}

}  // namespace
}  // namespace canaryd::workload
