// One line of a Singer tap's stdout, decoded: what TapStream acts on, apart
// from acting on it so that the decoding can be tested (and fuzzed) alone.
#pragma once

#include <simdjson.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace ingestd::plugins::singer {

struct Message {
  enum class Type { Record, State, Schema, ActivateVersion, Other };
  Type type = Type::Other;
  std::string stream;  // Record, Schema, ActivateVersion (may be empty)
  std::string json;    // State: the value; Schema: the schema
  // Record: the record, read in place: valid until the parser parses again.
  simdjson::dom::object record;
};

// Why a line is not a Singer message.
class MalformedMessage : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws MalformedMessage naming what is missing.
// `padded`: SIMDJSON_PADDING bytes after the line are readable, so it is
// parsed where it is rather than copied first.
Message decode_message(std::string_view line, simdjson::dom::parser& parser, bool padded = false);

}  // namespace ingestd::plugins::singer
