#include "cli/commands.hpp"
#include "config/location.hpp"
#include "config/names.hpp"
#include "loader/plugin_registry.hpp"
#include "util/strings.hpp"

#include <ingestd/sdk/json.hpp>

#include <cstdio>

namespace ingestd::cli {

namespace {

json::Value strings(const std::vector<std::string>& v) {
  json::Array a;
  for (const auto& s : v) a.push_back(json::Value(s));
  return json::Value(std::move(a));
}

std::string abi_version(const LoadedPlugin& p) {
  return std::to_string(p.abi_major) + "." + std::to_string(p.abi_minor);
}

// Secret options never show a default value: it could be a real credential.
std::string shown_default(const OptionInfo& o) {
  if (!o.default_value) return {};
  return o.secret ? "(secret)" : *o.default_value;
}

}  // namespace

int plugins_list_command(const GlobalOptions& g, const std::string& format) {
  PluginRegistry registry(g.plugin_paths);
  const auto& plugins = registry.plugins();
  if (format == "json") {
    // {"plugins": [...], "refused": [{"path", "reason"}], "search_path": [...]}
    json::Array list;
    for (const auto& p : plugins) {
      json::Object o;
      o.set("name", p->descriptor.name);
      o.set("version", p->descriptor.version);
      o.set("kinds", strings(kind_names(p->descriptor.kinds)));
      o.set("description", p->descriptor.description);
      o.set("path", p->path);
      o.set("abi", abi_version(*p));
      list.push_back(json::Value(std::move(o)));
    }
    json::Array refused;
    for (const auto& f : registry.failures()) {
      json::Object o;
      o.set("path", f.path);
      o.set("reason", f.reason);
      refused.push_back(json::Value(std::move(o)));
    }
    json::Object out;
    out.set("plugins", json::Value(std::move(list)));
    out.set("refused", json::Value(std::move(refused)));
    out.set("search_path", strings(registry.search_path()));
    std::printf("%s\n", json::Value(std::move(out)).dump().c_str());
  } else {
    std::size_t w = 4;
    for (const auto& p : plugins) w = std::max(w, p->descriptor.name.size());
    std::printf("%-*s  %-8s  %-19s  %s\n", static_cast<int>(w), "NAME", "VERSION", "KINDS", "DESCRIPTION");
    for (const auto& p : plugins)
      std::printf("%-*s  %-8s  %-19s  %s\n", static_cast<int>(w), p->descriptor.name.c_str(),
                  p->descriptor.version.c_str(), join(kind_names(p->descriptor.kinds), ",").c_str(),
                  p->descriptor.description.c_str());
    if (plugins.empty()) std::printf("(no plugins found in %s)\n", join(registry.search_path(), ":").c_str());
  }
  for (const auto& f : registry.failures()) std::fprintf(stderr, "refused %s: %s\n", f.path.c_str(), f.reason.c_str());
  return kExitOk;
}

int plugins_inspect_command(const GlobalOptions& g, const std::string& name, const std::string& format) {
  PluginRegistry registry(g.plugin_paths);
  const LoadedPlugin& p = registry.resolve(name, Location{}, "plugin");
  const PluginDescriptor& d = p.descriptor;
  if (format == "json") {
    json::Object o;
    o.set("name", d.name);
    o.set("version", d.version);
    o.set("kinds", strings(kind_names(d.kinds)));
    o.set("description", d.description);
    o.set("doc_url", d.doc_url.empty() ? json::Value() : json::Value(d.doc_url));
    o.set("path", p.path);
    o.set("abi", abi_version(p));
    o.set("extract_modes", strings(extract_mode_names(d.extract_modes)));
    o.set("load_modes", strings(load_mode_names(d.load_modes)));
    json::Array options;
    for (const auto& opt : d.options) {
      json::Object oo;
      oo.set("name", opt.name);
      oo.set("type", option_type_name(opt.type));
      oo.set("required", opt.required);
      oo.set("default", opt.default_value ? json::Value(shown_default(opt)) : json::Value());
      oo.set("description", opt.description);
      oo.set("secret", opt.secret);
      oo.set("applies_to", strings(kind_names(opt.kinds ? opt.kinds : d.kinds)));
      if (!opt.enum_values.empty()) oo.set("values", strings(opt.enum_values));
      options.push_back(json::Value(std::move(oo)));
    }
    o.set("options", json::Value(std::move(options)));
    std::printf("%s\n", json::Value(std::move(o)).dump().c_str());
    return kExitOk;
  }
  std::printf("%s %s — %s\n", d.name.c_str(), d.version.c_str(), d.description.c_str());
  std::printf("  kinds:         %s\n", join(kind_names(d.kinds), ", ").c_str());
  if (d.kinds & INGESTD_KIND_SOURCE)
    std::printf("  extract modes: %s\n", join(extract_mode_names(d.extract_modes), ", ").c_str());
  if (d.kinds & INGESTD_KIND_DESTINATION)
    std::printf("  load modes:    %s\n", join(load_mode_names(d.load_modes), ", ").c_str());
  std::printf("  file:          %s (ABI %s)\n", p.path.c_str(), abi_version(p).c_str());
  if (!d.doc_url.empty()) std::printf("  docs:          %s\n", d.doc_url.c_str());
  std::printf("\noptions:\n");
  if (d.options.empty()) std::printf("  (none)\n");
  for (const auto& o : d.options) {
    std::string line = "  " + o.name + " (" + option_type_name(o.type);
    if (o.required) line += ", required";
    if (o.default_value) line += ", default " + shown_default(o);
    if (o.kinds && o.kinds != d.kinds) line += ", " + join(kind_names(o.kinds), "/") + " only";
    line += ")";
    std::printf("%s\n      %s\n", line.c_str(), o.description.c_str());
    if (!o.enum_values.empty()) std::printf("      one of: %s\n", join(o.enum_values, ", ").c_str());
  }
  return kExitOk;
}

}  // namespace ingestd::cli
