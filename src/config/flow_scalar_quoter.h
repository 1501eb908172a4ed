// FlowScalarQuoter: the YAML reader's way around one rule of libyaml that the YAML readers of
// kubectl and Kubernetes (go-yaml) do not have. In a flow collection libyaml refuses a plain
// scalar in which a ':' is followed by a flow indicator (`addresses: [1.2.3.4, 001:db8::]`:
// "found unexpected ':'"); go-yaml reads such a scalar up to the next blank, ',', '[', ']', '{'
// or '}' (`001:db8::`, a string). On that error the reader asks this class to quote the scalar
// (`'001:db8::'`, the string go-yaml reads) in a copy of the text and parses again; marks in the
// copy are mapped back to the original's lines and columns. One per parse; not thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/node.h"

namespace canaryd::config {

class FlowScalarQuoter {
 public:
  explicit FlowScalarQuoter(std::string_view original) : original_(original) {}

  // The text to parse: the original until a scalar has been quoted.
  std::string_view text() const { return quoted_ ? std::string_view(copy_) : original_; }

  // Quotes the plain scalar that starts at `start` (1-based, as libyaml reported it in text()).
  // False when there is nothing there to quote (the error then stands).
  bool QuoteScalarAt(Mark start);

  // A position in text() as a position in the original.
  Mark ToOriginal(Mark m) const;

 private:
  struct Insertion {
    int line;
    int column;  // 1-based, in text()
  };
  std::string_view original_;
  std::string copy_;
  bool quoted_ = false;
  std::vector<Insertion> insertions_;
};

}  // namespace canaryd::config
