// The records a source delivered at its newest cursor value. Servers and
// connectors answer "since the saved cursor" inclusively (>=), so that records
// sharing the cursor's instant are never missed; remembering those records
// (by fingerprint) lets the next read skip them instead of delivering them
// twice, so an idle incremental run moves nothing.
#pragma once

#include <ingestd/sdk/json.hpp>

#include <simdjson.h>

#include <optional>
#include <set>
#include <string>

namespace ingestd::kit::typing {

// A stable fingerprint of a record: 16 hex digits of a 64-bit FNV-1a of its
// minified JSON. Equal records, equal fingerprints, in every build.
std::string record_fingerprint(const simdjson::dom::object& record);

class RecordsAtCursor {
 public:
  // At most this many fingerprints are kept; records past it may be
  // delivered again by the next read (at-least-once, as without this).
  static constexpr std::size_t kMaxRecords = 10000;

  // Starts from a saved cursor and the records delivered at it, as
  // to_json() wrote them ({"cursor": ..., "records": [...]}); null: none.
  void restore(const ingestd::json::Value& saved);
  void restore(std::optional<std::string> cursor, std::set<std::string> records);

  // Notes a record whose cursor is `value`. True when it was delivered at
  // the saved cursor by an earlier read: the caller skips it.
  bool seen_before(const simdjson::dom::object& record, const std::string& value);

  // The newest cursor noted since restore (or the saved one, if none was
  // newer) and the records at it.
  const std::optional<std::string>& newest() const { return newest_; }
  const std::set<std::string>& at_newest() const { return at_newest_; }
  // {"cursor": ..., "records": [...]}, or null when nothing was noted or saved.
  ingestd::json::Value to_json() const;

 private:
  std::optional<std::string> saved_;
  std::set<std::string> saved_records_;
  std::optional<std::string> newest_;
  std::set<std::string> at_newest_;
};

}  // namespace ingestd::kit::typing
