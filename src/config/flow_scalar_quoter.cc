#include "config/flow_scalar_quoter.h"

namespace canaryd::config {
namespace {

// The length of the line break at s[i] as libyaml counts breaks (LF, CR LF, CR, NEL, LS, PS),
// or 0.
size_t BreakAt(std::string_view s, size_t i) {
  if (i >= s.size()) return 0;
  if (s[i] == '\n') return 1;
  if (s[i] == '\r') return i + 1 < s.size() && s[i + 1] == '\n' ? 2 : 1;
  if (s.substr(i, 2) == "\xC2\x85") return 2;
  if (s.substr(i, 3) == "\xE2\x80\xA8" || s.substr(i, 3) == "\xE2\x80\xA9") return 3;
  return 0;
}

bool IsBlankOrEnd(std::string_view s, size_t i) {
  return i >= s.size() || s[i] == ' ' || s[i] == '\t' || BreakAt(s, i) > 0;
}

// The byte offset of a 1-based line and column (columns count characters, as libyaml's do), or
// npos when the text has no such position.
size_t OffsetOf(std::string_view s, Mark m) {
  size_t i = 0;
  for (int line = 1; line < m.line; ++line) {
    while (i < s.size() && BreakAt(s, i) == 0) ++i;
    if (i >= s.size()) return std::string_view::npos;
    i += BreakAt(s, i);
  }
  for (int column = 1; column < m.column; ++column) {
    if (i >= s.size() || BreakAt(s, i) > 0) return std::string_view::npos;
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;  // UTF-8
  }
  return i;
}

// Where go-yaml ends a plain scalar in a flow collection that starts at `begin`: before a line
// break, ',', '[', ']', '{', '}', ": " or "? ", or " #" (a comment); trailing blanks excluded.
size_t PlainScalarEnd(std::string_view s, size_t begin) {
  size_t i = begin, end = begin;
  while (i < s.size()) {
    char c = s[i];
    if (BreakAt(s, i) > 0 || c == ',' || c == '[' || c == ']' || c == '{' || c == '}') break;
    if ((c == ':' || c == '?') && IsBlankOrEnd(s, i + 1)) break;
    if (c == '#' && i > begin && (s[i - 1] == ' ' || s[i - 1] == '\t')) break;
    ++i;
    if (c != ' ' && c != '\t') end = i;
  }
  return end;
}

}  // namespace

bool FlowScalarQuoter::QuoteScalarAt(Mark start) {
  std::string_view s = text();
  size_t begin = OffsetOf(s, start);
  if (begin == std::string_view::npos || begin >= s.size()) return false;
  char first = s[begin];
  if (first == '\'' || first == '"' || IsBlankOrEnd(s, begin)) return false;
  size_t end = PlainScalarEnd(s, begin);
  if (end <= begin) return false;
  // Single quotes: nothing in the scalar is an escape but ' itself, written ''.
  std::string replacement = "'";
  std::vector<int> doubled;  // columns, in the result, of the quotes added after each '
  int chars = 0;
  for (size_t k = begin; k < end; ++k) {
    char c = s[k];
    replacement += c;
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++chars;
    if (c == '\'') {
      replacement += '\'';
      doubled.push_back(start.column + 1 + chars + static_cast<int>(doubled.size()));
    }
  }
  replacement += '\'';
  int added = static_cast<int>(doubled.size()) + 2;
  // What an earlier rewrite inserted later on this line moves right (nothing was inserted inside
  // this scalar: it was still plain).
  for (Insertion& in : insertions_) {
    if (in.line == start.line && in.column >= start.column) in.column += added;
  }
  insertions_.push_back(Insertion{start.line, start.column});
  for (int column : doubled) insertions_.push_back(Insertion{start.line, column});
  insertions_.push_back(
      Insertion{start.line, start.column + 1 + chars + static_cast<int>(doubled.size())});
  if (!quoted_) {
    copy_.assign(original_);
    quoted_ = true;
  }
  copy_.replace(begin, end - begin, replacement);
  return true;
}

Mark FlowScalarQuoter::ToOriginal(Mark m) const {
  if (!m.known()) return m;
  int before = 0;
  for (const Insertion& in : insertions_) {
    if (in.line == m.line && in.column < m.column) ++before;
  }
  return Mark{m.line, m.column - before};
}

}  // namespace canaryd::config
