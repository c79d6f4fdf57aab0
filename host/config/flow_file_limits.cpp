#include "config/flow_file_limits.hpp"

namespace ingestd {

namespace {

std::string mib(std::size_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

// Walks TOML text as its lexer would, with only what the limits need: where
// strings and comments are, where a key is being written, how deep values nest.
class ShapeScanner {
 public:
  ShapeScanner(std::string_view text, const std::string& path) : text_(text), path_(path) {}

  void scan() {
    while (i_ < text_.size()) {
      const char c = text_[i_];
      if (c == '\n') {
        ++line_;
        line_start_ = ++i_;
        if (nesting_ == 0) start_key();  // inside [ ] or { } a value may span lines
        continue;
      }
      if (c == '#') {
        while (i_ < text_.size() && text_[i_] != '\n') ++i_;
        continue;
      }
      if (c == '"' || c == '\'') {
        skip_string(c);
        continue;
      }
      if (in_key_ && c == '[' && nesting_ == 0 && !header_ && i_ == first_of_line()) {
        header_ = true;  // [table] or [[array]]: its name is a key
        i_ += text_.compare(i_, 2, "[[") == 0 ? 2 : 1;
        continue;
      }
      if (in_key_ && c == ']' && header_) {
        in_key_ = header_ = false;
        i_ += text_.compare(i_, 2, "]]") == 0 ? 2 : 1;
        continue;
      }
      if (in_key_ && c != '[' && c != '{' && c != ']' && c != '}') {
        if (c == '.' && ++key_parts_ > kMaxKeyParts)
          fail("a key has more than " + std::to_string(kMaxKeyParts) + " dotted parts");
        if (c == '=') in_key_ = false;
        ++i_;
        continue;
      }
      if (c == '[' || c == '{') {
        if (++nesting_ > kMaxValueNesting)
          fail("arrays and inline tables nest deeper than " + std::to_string(kMaxValueNesting) + " levels");
        if (c == '{') start_key();
      } else if (c == ']' || c == '}') {
        if (nesting_ > 0) --nesting_;
      } else if (c == ',' && inline_table_open()) {
        start_key();
      }
      ++i_;
    }
  }

 private:
  void start_key() {
    in_key_ = true;
    header_ = false;
    key_parts_ = 1;
  }
  // The position of the first non-blank character of the current line.
  std::size_t first_of_line() const {
    std::size_t j = line_start_;
    while (j < text_.size() && (text_[j] == ' ' || text_[j] == '\t')) ++j;
    return j;
  }
  // Approximates "the innermost open bracket is a brace" without a stack:
  // a key after ',' only matters for dotted keys inside inline tables, and
  // counting a few array commas as key starts only resets the part count.
  bool inline_table_open() const { return nesting_ > 0; }

  void skip_string(char quote) {
    const bool multi = text_.compare(i_, 3, std::string(3, quote)) == 0;
    i_ += multi ? 3 : 1;
    while (i_ < text_.size()) {
      const char c = text_[i_];
      if (c == '\\' && quote == '"') {
        i_ += 2;
        continue;
      }
      if (c == '\n') {
        if (!multi) return;  // unterminated: the parser will say so
        ++line_;
        line_start_ = i_ + 1;
      }
      if (c == quote && (!multi || text_.compare(i_, 3, std::string(3, quote)) == 0)) {
        i_ += multi ? 3 : 1;
        return;
      }
      ++i_;
    }
  }

  [[noreturn]] void fail(const std::string& why) const {
    throw ConfigError(Location{path_, line_, static_cast<int>(i_ - line_start_) + 1}, "",
                      why + "; refusing the flow file");
  }

  std::string_view text_;
  const std::string& path_;
  std::size_t i_ = 0, line_start_ = 0;
  int line_ = 1;
  int nesting_ = 0;
  bool in_key_ = true, header_ = false;
  int key_parts_ = 1;
};

}  // namespace

void check_flow_file_shape(std::string_view text, const std::string& path) {
  if (text.size() > kMaxFlowFileBytes)
    throw ConfigError(Location{path}, "",
                      "the flow file is " + std::to_string(text.size()) + " bytes, more than the " +
                          mib(kMaxFlowFileBytes) + " a flow file may have");
  ShapeScanner(text, path).scan();
}

void ExpansionBudget::add(std::string_view value, const Location& where, const std::string& key) {
  if (value.find("${") == std::string_view::npos) {
    total_ += value.size();
  } else {
    const std::size_t size = expanded_size(value);
    if (size > kMaxExpandedValue)
      throw ConfigError(where, key,
                        "the value expands (${...}) to " + std::to_string(size) + " bytes, more than the " +
                            mib(kMaxExpandedValue) + " a value may have");
    total_ += size;
  }
  if (total_ > kMaxExpandedFileBytes)
    throw ConfigError(where, key,
                      "the flow file's values expand (${...}) to more than " + mib(kMaxExpandedFileBytes) +
                          " together; refusing it");
}

}  // namespace ingestd
