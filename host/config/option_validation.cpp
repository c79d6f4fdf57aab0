#include "config/option_validation.hpp"

#include "config/env_expand.hpp"
#include "config/names.hpp"
#include "config/units.hpp"
#include "log/secret_forms.hpp"
#include "util/strings.hpp"

#include <charconv>
#include <stdexcept>

namespace ingestd {

namespace {

// The outcome of checking one value: the normalised value, or why it is wrong.
struct Checked {
  json::Value value;
  std::string error;
};

Checked bad(std::string why) { return {json::Value(), std::move(why)}; }

std::string describe(const json::Value& v) {
  switch (v.kind()) {
    case json::Value::Kind::Null: return "nothing";
    case json::Value::Kind::Bool: return "a boolean";
    case json::Value::Kind::Int: return "an integer";
    case json::Value::Kind::Double: return "a float";
    case json::Value::Kind::String: return "a string";
    case json::Value::Kind::Array: return "an array";
    case json::Value::Kind::Object: return "a table";
  }
  return "a value";
}

std::optional<int64_t> to_int(std::string_view s) {
  int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> to_double(std::string_view s) {
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// Checks a value (strings already expanded) against an option type.
Checked check_value(const OptionInfo& o, const json::Value& v) {
  switch (o.type) {
    case INGESTD_OPTION_STRING:
    case INGESTD_OPTION_SECRET:
      if (!v.is_string()) return bad("expected a string, found " + describe(v));
      return {v, {}};
    case INGESTD_OPTION_ENUM: {
      if (!v.is_string()) return bad("expected a string, found " + describe(v));
      for (const auto& e : o.enum_values)
        if (e == v.as_string()) return {v, {}};
      return bad("invalid value '" + v.as_string() + "' (valid: " + join(o.enum_values, ", ") + ")");
    }
    case INGESTD_OPTION_INT:
      if (v.is_int()) return {v, {}};
      if (v.is_string())
        if (auto i = to_int(v.as_string())) return {json::Value(*i), {}};
      return bad("expected an integer, found " + describe(v));
    case INGESTD_OPTION_DOUBLE:
      if (v.is_number()) return {json::Value(v.as_double()), {}};
      if (v.is_string())
        if (auto d = to_double(v.as_string())) return {json::Value(*d), {}};
      return bad("expected a number, found " + describe(v));
    case INGESTD_OPTION_BOOL:
      if (v.is_bool()) return {v, {}};
      if (v.is_string() && (v.as_string() == "true" || v.as_string() == "false"))
        return {json::Value(v.as_string() == "true"), {}};
      return bad("expected true or false, found " + describe(v));
    case INGESTD_OPTION_SIZE: {
      if (v.is_int() && v.as_int() >= 0) return {v, {}};
      if (v.is_string())
        if (auto s = parse_size(v.as_string())) return {json::Value(*s), {}};
      return bad("expected a size such as \"64MiB\", \"500KB\" or a number of bytes");
    }
    case INGESTD_OPTION_DURATION: {
      if (v.is_int() && v.as_int() >= 0) return {json::Value(v.as_int() * 1000), {}};
      if (v.is_string())
        if (auto d = parse_duration_ms(v.as_string())) return {json::Value(*d), {}};
      return bad("expected a duration such as \"250ms\", \"30s\", \"5m\" or a number of seconds");
    }
    case INGESTD_OPTION_LIST: {
      if (v.is_string()) return {json::Value(json::Array{v}), {}};
      if (!v.is_array()) return bad("expected a string or an array of strings, found " + describe(v));
      json::Array out;
      for (const auto& e : v.as_array()) {
        if (e.is_string()) out.push_back(e);
        else if (e.is_int() || e.is_double() || e.is_bool()) out.push_back(json::Value(e.dump()));
        else return bad("list elements must be strings, found " + describe(e));
      }
      return {json::Value(std::move(out)), {}};
    }
    case INGESTD_OPTION_JSON: return {v, {}};
  }
  return bad("unsupported option type");
}

// Which strings of an option are secrets: none (only credentials inside
// them, such as a URL's password), every one, or every one long enough to
// be a credential (the values of a table such as a connector's env, where
// DEBUG = "1" must not turn every 1 in the log into ***).
enum class Secrecy { None, Long, All };

constexpr std::size_t kShortestImplicitSecret = 6;

// Expands ${VAR} in every string of `v`; collects what is secret. A member
// with a credential-like name (Authorization, api_key, PGPASSWORD) is secret
// whatever the option.
json::Value expand_strings(const json::Value& v, const ConfigTable& table, const std::string& path,
                           const std::string& key, Secrecy secrecy, std::vector<std::string>& secrets) {
  if (v.is_string()) {
    EnvExpansion e;
    try {
      e = expand_env(v.as_string());
    } catch (const std::exception& ex) {
      throw ConfigError(table.location_of(path), key, ex.what());
    }
    if (secrecy == Secrecy::All || (secrecy == Secrecy::Long && e.value.size() >= kShortestImplicitSecret))
      secrets.push_back(e.value);
    else
      for (auto& part : log::embedded_credentials(e.value)) secrets.push_back(std::move(part));
    return json::Value(e.value);
  }
  if (v.is_array()) {
    json::Array out;
    const auto& arr = v.as_array();
    for (std::size_t i = 0; i < arr.size(); ++i) {
      std::string p = path + "[" + std::to_string(i) + "]";
      out.push_back(expand_strings(arr[i], table, p, key + "[" + std::to_string(i) + "]", secrecy, secrets));
    }
    return out;
  }
  if (v.is_object()) {
    json::Object out;
    for (const auto& [k, e] : v.as_object())
      out.set(k, expand_strings(e, table, path + "." + k, key + "." + k,
                                log::credential_like(k) ? Secrecy::All : secrecy, secrets));
    return out;
  }
  return v;
}

}  // namespace

json::Value parse_default(const OptionInfo& option) {
  const std::string& text = *option.default_value;
  json::Value raw;
  switch (option.type) {
    case INGESTD_OPTION_LIST:
    case INGESTD_OPTION_JSON:
      raw = json::Value::parse(text);
      break;
    case INGESTD_OPTION_DURATION: {
      auto d = parse_duration_ms(text);
      if (!d) throw std::invalid_argument("bad duration default '" + text + "'");
      return json::Value(*d);
    }
    default: raw = json::Value(text);
  }
  Checked c = check_value(option, raw);
  if (!c.error.empty()) throw std::invalid_argument("bad default '" + text + "': " + c.error);
  return c.value;
}

ValidatedConfig validate_config(const ComponentDef& def, const std::string& section,
                                const PluginDescriptor& plugin, uint32_t role) {
  ValidatedConfig out;
  json::Object normalised;
  const std::string prefix = section + "." + def.name + ".config.";
  const std::string role_label = role_name(role);

  for (const auto& [key, value] : def.config.value.as_object()) {
    const OptionInfo* o = plugin.find_option(key);
    if (!o || !o->applies_to(role)) {
      std::string msg = "unknown option for plugin '" + plugin.name + "' as a " + role_label;
      if (o) msg += " (it applies to " + join(kind_names(o->kinds), " and ") + "s only)";
      auto valid = plugin.option_names(role);
      msg += " (valid options: " + (valid.empty() ? std::string("none") : join(valid, ", ")) + ")";
      throw ConfigError(def.config.location_of(key), prefix + key, msg);
    }
    // The plugin declares which options are secret; inside tables, names decide.
    const Secrecy secrecy = !o->secret ? Secrecy::None : value.is_string() ? Secrecy::All : Secrecy::Long;
    json::Value expanded = expand_strings(value, def.config, key, prefix + key, secrecy, out.secrets);
    Checked c = check_value(*o, expanded);
    if (!c.error.empty()) throw ConfigError(def.config.location_of(key), prefix + key, c.error);
    normalised.set(key, std::move(c.value));
  }

  for (const OptionInfo& o : plugin.options) {
    if (!o.applies_to(role) || normalised.contains(o.name)) continue;
    if (o.default_value) {
      try {
        normalised.set(o.name, parse_default(o));
        if (o.secret && !o.default_value->empty()) out.secrets.push_back(*o.default_value);
      } catch (const std::exception& e) {
        throw ConfigError(def.plugin_location, prefix + o.name,
                          "plugin '" + plugin.name + "' declares an invalid default: " + e.what());
      }
    } else if (o.required) {
      throw ConfigError(def.config.location, prefix + o.name,
                        "missing required option (" + option_type_name(o.type) + "): " + o.description);
    }
  }
  out.options = json::Value(std::move(normalised));
  return out;
}

}  // namespace ingestd
