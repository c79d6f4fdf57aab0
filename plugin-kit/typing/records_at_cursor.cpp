#include <ingestd/kit/typing/cursor.hpp>
#include <ingestd/kit/typing/records_at_cursor.hpp>

namespace ingestd::kit::typing {

namespace json = ingestd::json;

std::string record_fingerprint(const simdjson::dom::object& record) {
  const std::string text = simdjson::minify(record);
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  static const char digits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) out[static_cast<std::size_t>(i)] = digits[h & 15];
  return out;
}

void RecordsAtCursor::restore(const json::Value& saved) {
  std::optional<std::string> cursor;
  std::set<std::string> records;
  if (saved["cursor"].is_string()) cursor = saved["cursor"].as_string();
  if (saved["records"].is_array())
    for (const auto& r : saved["records"].as_array())
      if (r.is_string()) records.insert(r.as_string());
  restore(std::move(cursor), std::move(records));
}

void RecordsAtCursor::restore(std::optional<std::string> cursor, std::set<std::string> records) {
  saved_ = std::move(cursor);
  saved_records_ = std::move(records);
  newest_ = saved_;
  at_newest_ = saved_records_;
}

bool RecordsAtCursor::seen_before(const simdjson::dom::object& record, const std::string& value) {
  const int vs_newest = newest_ ? compare_cursors(value, *newest_) : 1;
  const bool at_saved = saved_ && compare_cursors(value, *saved_) == 0;
  if (vs_newest < 0 && !at_saved) return false;
  const std::string fp = record_fingerprint(record);
  if (at_saved && saved_records_.count(fp)) return true;
  if (vs_newest > 0) {
    newest_ = value;
    at_newest_.clear();
  }
  if (vs_newest >= 0 && at_newest_.size() < kMaxRecords) at_newest_.insert(fp);
  return false;
}

json::Value RecordsAtCursor::to_json() const {
  if (!newest_) return json::Value();
  json::Array records;
  for (const auto& fp : at_newest_) records.push_back(json::Value(fp));
  json::Object o;
  o.set("cursor", *newest_);
  o.set("records", json::Value(std::move(records)));
  return json::Value(std::move(o));
}

}  // namespace ingestd::kit::typing
