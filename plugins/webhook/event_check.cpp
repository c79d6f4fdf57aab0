#include "event_check.hpp"

#include <ingestd/kit/typing/json_rows.hpp>

#include <ingestd/sdk/builder.hpp>

#include <simdjson.h>

#include <cctype>

namespace ingestd::plugins::webhook {

namespace dom = simdjson::dom;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string shown_key(std::string_view key) {
  std::string shown(key.substr(0, 80));
  return "'" + shown + (key.size() > 80 ? "…'" : "'");
}

}  // namespace

EventCheck::EventCheck(std::vector<kit::typing::DeclaredColumn> declared, int64_t max_columns)
    : declared_(std::move(declared)), max_columns_(max_columns) {
  for (const auto& d : declared_) known_.emplace(lower(d.name), d.name);
}

// The row the stream would build from the event alone: a declared column
// that cannot hold its value refuses the event now, not after the 200.
std::string EventCheck::check_types(const std::string& event) const {
  dom::parser parser;
  dom::element e;
  if (parser.parse(event).get(e)) return "malformed JSON";
  kit::typing::ColumnSet columns(declared_);
  columns.add_declared();
  kit::typing::sample_object(dom::object(e), columns);
  ingestd::sdk::BatchBuilder rows(columns.schema());
  kit::typing::JsonRowAppender appender;
  if (appender.append(dom::object(e), columns, rows) == kit::typing::JsonRowAppender::Result::Rejected)
    return appender.reason();
  return {};
}

std::string EventCheck::admit(const std::vector<std::string>& events) {
  for (std::size_t i = 0; i < events.size(); ++i)
    if (std::string why = check_types(events[i]); !why.empty()) return "event " + std::to_string(i + 1) + ": " + why;

  std::lock_guard lock(mutex_);
  std::unordered_map<std::string, std::string> added;  // by this request
  dom::parser parser;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const std::string at = "event " + std::to_string(i + 1) + ": ";
    dom::element e;
    if (parser.parse(events[i]).get(e)) return at + "malformed JSON";
    std::unordered_map<std::string, std::string> own;  // this event's keys, lower-cased
    for (auto field : dom::object(e)) {
      std::string_view key = field.key;
      if (key.empty()) return at + "an empty key (every key names a column)";
      std::string folded = lower(key);
      if (auto [it, fresh] = own.emplace(folded, std::string(key)); !fresh)
        return at + "keys " + shown_key(it->second) + " and " + shown_key(key) +
               " differ only in case (destinations that fold case would take them for one column)";
      const auto known = known_.find(folded);
      const auto mine = added.find(folded);
      const std::string* column = known != known_.end() ? &known->second : mine != added.end() ? &mine->second : nullptr;
      if (column && *column != key)
        return at + "key " + shown_key(key) + " differs only in case from the column " + shown_key(*column);
      if (!column) added.emplace(std::move(folded), std::string(key));
    }
  }
  if (static_cast<int64_t>(known_.size() + added.size()) > max_columns_)
    return "the events would make the stream " + std::to_string(known_.size() + added.size()) +
           " columns, more than max_columns (" + std::to_string(max_columns_) + ")";
  known_.merge(added);
  return {};
}

}  // namespace ingestd::plugins::webhook
