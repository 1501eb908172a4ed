// Runs canaryd's validation over Istio's own CRD validation cases (pkg/config/validation/testdata/
// crds in an istio/istio checkout), which the project may not copy: set CANARYD_ISTIO_CRD_TESTDATA
// to that directory to run it, otherwise it skips. Each document marked with an `_err` key must be
// refused, every other document accepted. Only the kinds canaryd serves are counted (files named
// gateway-, virtualservice-, destinationrule-, serviceentry-, workloadentry-*.yaml).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/loader.h"

namespace canaryd::config {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::string file;
  int line = 0;  // where the document starts in its file
  bool must_fail = false;
  std::string text;  // without the `_err` line
};

// Splits a file into documents at `---` lines; the `_err: "..."` line marks a document that
// must be refused and is dropped (it is no field of the resource). Documents that are only
// comments are not cases.
std::vector<Case> ReadCases(const fs::path& path) {
  std::ifstream in(path);
  std::vector<Case> out;
  Case current{path.filename().string(), 1, false, ""};
  bool has_content = false;
  int line_number = 0;
  auto flush = [&]() {
    if (has_content) out.push_back(current);
    current = Case{path.filename().string(), line_number + 1, false, ""};
    has_content = false;
  };
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    if (line == "---") {
      flush();
      continue;
    }
    if (line.rfind("_err:", 0) == 0) {
      current.must_fail = true;
      current.text += "\n";  // keeps the line numbers of the file
      continue;
    }
    if (!line.empty() && line[0] != '#') has_content = true;
    current.text += line + "\n";
  }
  flush();
  return out;
}

TEST(IstioTestdata, CrdValidationCasesComeOutAsInIstio) {
  const char* dir = std::getenv("CANARYD_ISTIO_CRD_TESTDATA");
  if (dir == nullptr || !fs::is_directory(dir)) {
    GTEST_SKIP() << "set CANARYD_ISTIO_CRD_TESTDATA to the pkg/config/validation/testdata/crds "
                    "directory of an istio/istio checkout to run Istio's own validation cases";
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    for (const char* kind :
         {"gateway-", "virtualservice-", "destinationrule-", "serviceentry-", "workloadentry-"}) {
      if (name.rfind(kind, 0) == 0 && e.path().extension() == ".yaml") files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty()) << "no cases of the served kinds in " << dir;
  size_t total = 0, right = 0;
  for (const fs::path& f : files) {
    for (const Case& c : ReadCases(f)) {
      LoadResult result;
      LoadText(c.text, c.file, {}, result);
      bool refused = result.diagnostics.has_errors() || result.resources.empty();
      ++total;
      if (refused == c.must_fail) {
        ++right;
        continue;
      }
      ADD_FAILURE() << c.file << ":" << c.line << ": Istio "
                    << (c.must_fail ? "refuses" : "accepts") << " this document, canaryd "
                    << (refused ? "refuses" : "accepts") << " it\n"
                    << result.diagnostics.ToString();
    }
  }
  std::printf("Istio CRD validation cases: %zu of %zu come out as in Istio\n", right, total);
  EXPECT_EQ(right, total);
}

}  // namespace
}  // namespace canaryd::config
