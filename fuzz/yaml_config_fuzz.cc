// Fuzz target: a manifest file as a user (or an attacker with API access) might write it, through
// the whole loader: libyaml events, Node building with alias expansion, strict decoding and
// Istio validation. Beyond "no crash": a load either yields resources or says why not, and every
// error carries a position inside the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  canaryd::config::LoadResult result;
  canaryd::config::LoadText(text, "fuzz.yaml", {}, result);
  // Rendering every diagnostic exercises the messages' formatting too.
  std::string report = result.diagnostics.ToString();
  if (result.diagnostics.has_errors() && report.empty()) std::abort();
  // Positions point into the input. Line breaks as YAML counts them (LF, CR, NEL, and LS/PS,
  // which start with 0xE2) bound the line, plus one for the end of a last line without a break
  // (libyaml reports the end of the stream on the line after it); the input's size bounds the
  // column.
  int breaks = 0;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    breaks += u == '\n' || u == '\r' || u == 0x85 || u == 0xE2;
  }
  for (const canaryd::config::Diagnostic& d : result.diagnostics.items()) {
    if (d.mark.line > breaks + 2 || d.mark.column > static_cast<int>(size) + 1) std::abort();
  }
  return 0;
}
