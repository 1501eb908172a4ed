// KubectlTest: the fixture of the tests that drive a real canaryd process with the real kubectl:
// starts one canaryd per test (skipping when kubectl is not installed) and offers runners that
// expect success. Test-only; one thread per test.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "integration/canaryd_instance.h"
#include "testing/paths.h"

namespace canaryd::testing {

class KubectlTest : public ::testing::Test {
 public:
  static std::string Join(const std::vector<std::string>& args) {
    std::string s;
    for (const auto& a : args) s += a + " ";
    return s;
  }

 protected:
  void SetUp() override {
    if (CanarydInstance::KubectlPath().empty()) {
      GTEST_SKIP() << "kubectl is not installed (scripts/setup.sh installs it)";
    }
    std::string error;
    ASSERT_TRUE(canaryd_.Start(&error)) << error;
  }

  // Runs kubectl and expects success; returns stdout.
  std::string Ok(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    CommandResult r = canaryd_.Kubectl(args, env);
    EXPECT_EQ(r.exit_code, 0) << "kubectl " << Join(args) << "\nstdout: " << r.out
                              << "\nstderr: " << r.err << "\ncanaryd: " << canaryd_.Log();
    return r.out;
  }
  // Runs kubectl and expects it to fail; returns the result.
  CommandResult Fails(const std::vector<std::string>& args,
                      const std::vector<std::string>& env = {}) {
    CommandResult r = canaryd_.Kubectl(args, env);
    EXPECT_NE(r.exit_code, 0) << "kubectl " << Join(args) << "\nstdout: " << r.out
                              << "\nstderr: " << r.err;
    return r;
  }
  std::string Example(const std::string& rel) {
    return (SourceDir() / "examples" / "walkthrough" / rel).string();
  }
  std::string ResourceVersion(const std::string& what) {
    return Ok({"get", what, "-o", "jsonpath={.metadata.resourceVersion}"});
  }
  // Writes `content` to `name` in the instance's directory; returns the path.
  std::string Write(const std::string& name, const std::string& content) {
    std::string path = canaryd_.dir().File(name);
    WriteFile(path, content);
    return path;
  }

  CanarydInstance canaryd_;
};

}  // namespace canaryd::testing
