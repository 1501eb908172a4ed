// canaryctl: the command-line client of canaryd. main() only; the work is in the libraries.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "config/analyze.h"
#include "config/loader.h"

namespace {

int RunValidate(const std::vector<std::string>& paths, bool recursive) {
  canaryd::config::LoadOptions options;
  options.recursive = recursive;
  canaryd::config::LoadResult result;
  for (const std::string& p : paths) canaryd::config::LoadPath(p, options, result);
  canaryd::config::AnalyzeReferences(result.resources, result.diagnostics);
  std::fputs(result.diagnostics.ToString().c_str(), stdout);
  size_t errors = result.diagnostics.error_count();
  size_t warnings = result.diagnostics.warning_count();
  std::printf("%s: %zu resources valid in %zu documents of %zu files; %zu errors, %zu warnings\n",
              errors == 0 ? "valid" : "invalid", result.resources.size(), result.documents,
              result.files, errors, warnings);
  return errors == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"canaryctl: the command-line client of canaryd"};
  app.require_subcommand(1);

  std::vector<std::string> files;
  bool recursive = false;
  CLI::App* validate =
      app.add_subcommand("validate", "Decode and validate manifests offline (exit 1 on errors)");
  validate->add_option("-f,--filename", files, "File or directory of manifests (repeatable)")
      ->required();
  validate->add_flag("-R,--recursive", recursive, "Descend into sub-directories");

  CLI11_PARSE(app, argc, argv);
  if (validate->parsed()) return RunValidate(files, recursive);
  return 2;
}
