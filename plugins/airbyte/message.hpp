// Airbyte protocol messages as a source prints them, decoded apart from the
// stream that acts on them (so that decoding is tested and fuzzed alone), and
// the checkpoint kept from its STATE messages.
#pragma once

#include <ingestd/sdk/json.hpp>

#include <simdjson.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ingestd::plugins::airbyte {

struct Message {
  // NotJson: a line the protocol lets a source print (it is logged).
  enum class Type { NotJson, Record, State, TraceError, TraceEstimate, Log, Other };
  Type type = Type::Other;
  std::string stream;  // Record
  std::string json;    // State: the state object
  // Record: record.data, read in place: valid until the parser parses again.
  simdjson::dom::object record;
  std::string text;    // Log: the message; TraceError: the error message
  std::string kind;    // Log: the level; TraceError: the failure_type
  int64_t rows = 0;    // TraceEstimate: row_estimate
};

// Why a message lacks what its type needs.
class MalformedMessage : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws MalformedMessage naming what is missing.
// `padded`: SIMDJSON_PADDING bytes after the line are readable, so it is
// parsed where it is rather than copied first.
Message decode_message(std::string_view line, simdjson::dom::parser& parser, bool padded = false);

// The checkpoint after each STATE message: per-stream STREAM states by
// descriptor, else the last GLOBAL or LEGACY one; each as the source sent it.
// {"kind": "STREAM", "streams": [...]} or {"kind": K, "state": ...}.
class StateKeeper {
 public:
  // `saved`: the checkpoint the stream resumes from (null: none).
  explicit StateKeeper(ingestd::json::Value saved = {}) : saved_(std::move(saved)) {}
  std::string keep(ingestd::json::Value state);

 private:
  ingestd::json::Value saved_;
};

// The --state file's content for a checkpoint StateKeeper made.
std::string state_argument(const std::string& checkpoint);

}  // namespace ingestd::plugins::airbyte
