// ParseDocuments: YAML (read with libyaml; scalars resolved with the YAML 1.2 core schema, so JSON
// reads as JSON) text to Nodes with positions, one per
// `---` document. Bounded: input size, node count (aliases are expanded and counted, so "billion
// laughs" stops early), nesting depth. Duplicate keys are errors, as in kubectl. Merge keys (`<<`)
// are honoured. Pure function: call from any thread.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/node.h"

namespace canaryd::config {

struct ParseLimits {
  size_t max_bytes = 8 << 20;    // larger files are refused before parsing
  size_t max_nodes = 1'000'000;  // nodes in all documents, counted after alias expansion
  int max_depth = 64;            // nesting of maps and sequences
};

struct Document {
  Node root;
  Mark start;     // where the document begins
  int index = 0;  // 0-based position among the non-empty documents of the input
};

struct ParseError {
  Mark mark;
  std::string message;
};

struct ParseResult {
  std::vector<Document> documents;  // empty documents (e.g. a trailing `---`) are skipped
  bool ok = true;
  ParseError error;  // set when !ok; then documents is empty
};

ParseResult ParseDocuments(std::string_view text, const ParseLimits& limits = {});

// The streaming form: each document is handed to `on_document` as soon as it is complete and is
// not kept (result.documents stays empty). On a parse error, documents already handed over are
// the caller's to discard.
ParseResult ParseDocuments(std::string_view text, const ParseLimits& limits,
                           const std::function<void(Document&&)>& on_document);

// Resolves a plain (unquoted) YAML scalar with the YAML 1.2 core schema: null, bool, int, float,
// or string. Exposed for tests.
Node ResolvePlainScalar(const std::string& text, Mark mark);

}  // namespace canaryd::config
