// The flow settings the host owns and hands to plugins: typed here, sent as
// a JSON object under the INGESTD_SETTING_* keys of abi.h. The host writes
// them with settings_json(); the SDK's adapter reads them back into the
// typed fields of StreamRequest and TableRequest, once, for every plugin.
#pragma once

#include <ingestd/abi.h>
#include <ingestd/sdk/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ingestd::sdk {

// The flow's settings for a source stream.
struct StreamSettings {
  std::optional<int64_t> lookback_ms;   // re-read this far behind a date/time cursor
  std::optional<json::Value> lookback;  // ... behind a numeric cursor, in its units
  std::optional<json::Value> start;     // the cursor value to begin from without state
  std::string deleted_column;           // "" when none
  std::string where;                    // "" when none
  std::string flow;                     // the flow's name ("" from hosts before ABI 1.2)
  bool follow = false;                  // follow changes until stopped (ingestd serve) rather than end once caught up
  std::string catalog_entry;            // the stream's StreamInfo::catalog_entry, kept since a discover ("" when none)
};

enum class SchemaChanges { Evolve, Freeze, Discard };

// "evolve", "freeze", "discard"; nullopt for anything else.
inline std::optional<SchemaChanges> schema_changes_from(std::string_view name) {
  if (name == "evolve") return SchemaChanges::Evolve;
  if (name == "freeze") return SchemaChanges::Freeze;
  if (name == "discard") return SchemaChanges::Discard;
  return std::nullopt;
}

inline const char* schema_changes_name(SchemaChanges c) {
  switch (c) {
    case SchemaChanges::Freeze: return "freeze";
    case SchemaChanges::Discard: return "discard";
    case SchemaChanges::Evolve: break;
  }
  return "evolve";
}

// The flow's settings for a destination table.
struct TableSettings {
  SchemaChanges schema_changes = SchemaChanges::Evolve;
  bool hard_delete = false;
  bool delete_stale = false;
};

// The JSON object a request carries (unset settings are left out).
inline json::Value settings_json(const StreamSettings& s) {
  json::Object o;
  if (s.lookback_ms) o.set(INGESTD_SETTING_LOOKBACK_MS, json::Value(*s.lookback_ms));
  if (s.lookback) o.set(INGESTD_SETTING_LOOKBACK, *s.lookback);
  if (s.start) o.set(INGESTD_SETTING_START, *s.start);
  if (!s.deleted_column.empty()) o.set(INGESTD_SETTING_DELETED_COLUMN, s.deleted_column);
  if (!s.where.empty()) o.set(INGESTD_SETTING_WHERE, s.where);
  if (!s.flow.empty()) o.set(INGESTD_SETTING_FLOW, s.flow);
  if (s.follow) o.set(INGESTD_SETTING_FOLLOW, true);
  if (!s.catalog_entry.empty()) o.set(INGESTD_SETTING_CATALOG_ENTRY, s.catalog_entry);
  return json::Value(std::move(o));
}

inline json::Value settings_json(const TableSettings& s) {
  json::Object o;
  o.set(INGESTD_SETTING_SCHEMA_CHANGES, schema_changes_name(s.schema_changes));
  o.set(INGESTD_SETTING_HARD_DELETE, s.hard_delete);
  o.set(INGESTD_SETTING_DELETE_STALE, s.delete_stale);
  return json::Value(std::move(o));
}

}  // namespace ingestd::sdk
