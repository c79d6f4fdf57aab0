// Limits a flow file is held to before and after the TOML parser sees it: a
// hostile or generated file must get an error, not a stack overflow in the
// parser or gigabytes of ${VAR} expansion.
#pragma once

#include "config/env_expand.hpp"
#include "config/location.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace ingestd {

constexpr std::size_t kMaxFlowFileBytes = std::size_t{16} << 20;
constexpr int kMaxKeyParts = 32;      // a.b.c = 1 has 3
constexpr int kMaxValueNesting = 32;  // [[[ ]]] and { a = { b = {} } }
constexpr std::size_t kMaxExpandedFileBytes = std::size_t{32} << 20;

// Throws ConfigError at the first place the text exceeds a limit: its size,
// the parts of a dotted key (or a table header), the nesting of arrays and
// inline tables. Reads the text as TOML lexes it (strings, comments) but
// does not check its syntax: the parser does that next.
void check_flow_file_shape(std::string_view text, const std::string& path);

// The sizes the file's string values expand (${VAR}) to, added up as they
// are met: add() throws ConfigError at the value that passes
// kMaxExpandedValue (env_expand.hpp), or takes the file past kMaxExpandedFileBytes.
class ExpansionBudget {
 public:
  void add(std::string_view value, const Location& where, const std::string& key);

 private:
  std::size_t total_ = 0;
};

}  // namespace ingestd
