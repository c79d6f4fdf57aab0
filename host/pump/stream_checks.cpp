#include "pump/stream_checks.hpp"

#include "util/strings.hpp"

#include <algorithm>

namespace ingestd {

namespace {

bool has_column(const CatalogStream& s, const std::string& name) {
  // A source that cannot know its columns yet (an empty schema) is not judged.
  if (s.schema.fields.empty()) return true;
  return std::any_of(s.schema.fields.begin(), s.schema.fields.end(), [&](const auto& f) { return f.name == name; });
}

std::string columns_of(const CatalogStream& s) {
  std::vector<std::string> names;
  for (const auto& f : s.schema.fields) names.push_back(f.name);
  return names.empty() ? "none" : join(names, ", ");
}

void check_stream(const FlowDef& f, const CatalogStream& s, ErrorCollector& errors) {
  const StreamSettings& settings = f.settings_for(s.name);
  const std::string key = f.overrides.count(s.name) ? "flows." + f.name + ".streams." + s.name : "flows." + f.name;
  const std::vector<std::string>& key_columns = !settings.primary_key.empty() ? settings.primary_key : s.primary_key;
  // A change stream (continuous, updates only) applies updates and deletes by key.
  const bool change_stream = s.continuous() && s.extract_modes == INGESTD_EXTRACT_INCREMENTAL_UPDATES;
  errors.run([&] {
    if (settings.load_mode == INGESTD_LOAD_MERGE && key_columns.empty() && !change_stream)
      throw ConfigError(settings.load_location, key + ".primary_key",
                        "merge loads need a primary key and stream '" + s.name +
                            "' declares none; set primary_key = [\"...\"] (columns: " + columns_of(s) + ")");
  });
  errors.run([&] {
    if (change_stream && key_columns.empty())
      throw ConfigError(settings.load_location, key + ".primary_key",
                        "change data capture of '" + s.name + "' needs a primary key to apply updates and deletes, "
                        "and the table has none; add one at the source, or set primary_key = [\"...\"] on columns "
                        "that identify a row (columns: " + columns_of(s) + ")");
  });
  for (const auto& k : settings.primary_key)
    errors.run([&] {
      if (!has_column(s, k))
        throw ConfigError(settings.load_location, key + ".primary_key",
                          "stream '" + s.name + "' has no column '" + k + "' (columns: " + columns_of(s) + ")");
    });
  if (settings.extract_mode == INGESTD_EXTRACT_SNAPSHOT) return;
  errors.run([&] {
    if (!settings.cursor_field.empty() && !has_column(s, settings.cursor_field))
      throw ConfigError(settings.extract_location, key + ".cursor",
                        "stream '" + s.name + "' has no column '" + settings.cursor_field + "' (columns: " + columns_of(s) +
                            ")");
    if (settings.cursor_field.empty() && s.cursor_required())
      throw ConfigError(settings.extract_location, key + ".cursor",
                        "incremental reads of stream '" + s.name + "' need a cursor column; set cursor = \"...\" (" +
                            (s.cursor_candidates.empty() ? std::string("the source suggests none")
                                                         : "candidates: " + join(s.cursor_candidates, ", ")) +
                            ")");
  });
}

}  // namespace

std::vector<const CatalogStream*> check_flow_streams(const FlowDef& f, const std::vector<CatalogStream>& catalog,
                                                     ErrorCollector& errors) {
  std::vector<const CatalogStream*> out;
  auto ok = [&](const CatalogStream& s) {
    ErrorCollector mine;
    check_stream(f, s, mine);
    bool fine = mine.empty();
    errors.run([&] { mine.throw_if_any(); });
    return fine;
  };
  if (f.streams.empty()) {
    for (const auto& s : catalog)
      if (ok(s)) out.push_back(&s);
    return out;
  }
  for (const auto& name : f.streams) {
    auto it = std::find_if(catalog.begin(), catalog.end(), [&](const auto& s) { return s.name == name; });
    if (it == catalog.end()) {
      std::vector<std::string> available;
      for (const auto& s : catalog) available.push_back(s.name);
      errors.run([&] {
        throw ConfigError(f.streams_location, "flows." + f.name + ".streams",
                          "source '" + f.from + "' has no stream '" + name + "' (available: " +
                              (available.empty() ? std::string("none") : join(available, ", ")) + ")");
      });
      continue;
    }
    if (ok(*it)) out.push_back(&*it);
  }
  return out;
}

}  // namespace ingestd
