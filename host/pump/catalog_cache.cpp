#include "pump/catalog_cache.hpp"

#include "config/plan.hpp"
#include "log/logging.hpp"
#include "state/state_store.hpp"

#include <ingestd/sdk/json.hpp>

#include <cstdio>

namespace ingestd {

namespace {

constexpr int kFormat = 1;  // of the kept JSON; another one is not read

json::Value strings_json(const std::vector<std::string>& v) {
  json::Array a;
  for (const auto& s : v) a.push_back(json::Value(s));
  return json::Value(std::move(a));
}

std::vector<std::string> strings_of(const json::Value& v) {
  std::vector<std::string> out;
  for (const auto& s : v.as_array()) out.push_back(s.as_string());
  return out;
}

uint64_t fnv1a(std::string_view text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::string catalog_fingerprint(const ComponentPlan& source) {
  // Secrets are redacted before hashing: a new password finds the same
  // streams, and no form of a secret goes into the store.
  const std::string settings = source.plugin->descriptor.name + "\n" + source.plugin->descriptor.version + "\n" +
                               log::redact(source.options.dump());
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a(settings)));
  return hex;
}

std::string catalog_to_json(const std::vector<CatalogStream>& streams) {
  json::Array list;
  for (const auto& s : streams) {
    json::Object o;
    o.set("name", s.name);
    json::Array fields;
    for (const auto& f : s.schema.fields) {
      json::Object field;
      field.set("name", f.name);
      field.set("format", f.type.format());
      field.set("nullable", f.nullable);
      fields.push_back(json::Value(std::move(field)));
    }
    o.set("fields", json::Value(std::move(fields)));
    o.set("primary_key", strings_json(s.primary_key));
    o.set("cursor_candidates", strings_json(s.cursor_candidates));
    o.set("extract_modes", json::Value(static_cast<int64_t>(s.extract_modes)));
    o.set("flags", json::Value(static_cast<int64_t>(s.flags)));
    if (!s.catalog_entry.empty()) o.set("catalog_entry", s.catalog_entry);
    list.push_back(json::Value(std::move(o)));
  }
  json::Object out;
  out.set("format", json::Value(int64_t{kFormat}));
  out.set("streams", json::Value(std::move(list)));
  return json::Value(std::move(out)).dump();
}

std::optional<std::vector<CatalogStream>> catalog_from_json(const std::string& text) {
  try {
    const json::Value v = json::Value::parse(text);
    if (!v["format"].is_int() || v["format"].as_int() != kFormat) return std::nullopt;
    std::vector<CatalogStream> out;
    for (const auto& s : v["streams"].as_array()) {
      CatalogStream cs;
      cs.name = s["name"].as_string();
      for (const auto& f : s["fields"].as_array())
        cs.schema.fields.push_back(
            {f["name"].as_string(), sdk::DataType::from_format(f["format"].as_string()), f["nullable"].as_bool()});
      cs.primary_key = strings_of(s["primary_key"]);
      cs.cursor_candidates = strings_of(s["cursor_candidates"]);
      cs.extract_modes = static_cast<uint32_t>(s["extract_modes"].as_int());
      cs.flags = static_cast<uint32_t>(s["flags"].as_int());
      if (s["catalog_entry"].is_string()) cs.catalog_entry = s["catalog_entry"].as_string();
      out.push_back(std::move(cs));
    }
    return out;
  } catch (const std::exception&) {
    return std::nullopt;  // damaged or of another version: discover again
  }
}

SourceCatalog discover_and_keep(const ComponentPlan& source, PluginInstance& instance, StateStore& store) {
  SourceCatalog c;
  try {
    c.streams = instance.discover();
  } catch (const sdk::Error& e) {
    if (e.status() != INGESTD_ERROR_NOT_SUPPORTED) throw;
    c.listed = false;
    return c;
  }
  try {
    store.keep_catalog(source.def->name, catalog_fingerprint(source), catalog_to_json(c.streams));
  } catch (const std::exception& e) {
    // The run goes on with what it discovered; the next one discovers again.
    log::warn("source '" + source.def->name + "': cannot keep its catalog in the state store: " + e.what());
  }
  return c;
}

SourceCatalog source_catalog(const ComponentPlan& source, PluginInstance& instance, StateStore& store,
                             bool rediscover) {
  if (!rediscover) {
    const std::optional<StateStore::KeptCatalog> kept = store.kept_catalog(source.def->name);
    if (kept && kept->fingerprint == catalog_fingerprint(source)) {
      if (auto streams = catalog_from_json(kept->catalog)) {
        log::debug("source '" + source.def->name + "': using its catalog kept since " + kept->saved_at +
                   " (--rediscover asks the source again)");
        return SourceCatalog{std::move(*streams), true, true};
      }
    }
  }
  return discover_and_keep(source, instance, store);
}

}  // namespace ingestd
