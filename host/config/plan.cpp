#include "config/plan.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>

#include "config/names.hpp"
#include "config/option_validation.hpp"
#include "log/logging.hpp"
#include "util/strings.hpp"

namespace ingestd {

namespace {

ComponentPlan plan_component(const ComponentDef& def, const std::string& section, uint32_t role,
                             PluginRegistry& registry) {
  const std::string key = section + "." + def.name + ".plugin";
  const LoadedPlugin& plugin = registry.resolve(def.plugin, def.plugin_location, key);
  if (!(plugin.descriptor.kinds & role)) {
    std::string wanted = role_name(role);
    throw ConfigError(def.plugin_location, key,
                      "plugin '" + plugin.descriptor.name + "' cannot be a " + wanted + " (it is a " +
                          join(kind_names(plugin.descriptor.kinds), " and ") + ")");
  }
  ValidatedConfig config = validate_config(def, section, plugin.descriptor, role);
  for (const auto& s : config.secrets) log::add_secret(s);
  return ComponentPlan{&def, &plugin, role, std::move(config.options)};
}

void check_modes(const FlowPlan& f, const StreamSettings& s, const std::string& key) {
  const FlowDef& d = *f.def;
  const PluginDescriptor& src = f.source->plugin->descriptor;
  if (!(src.extract_modes & s.extract_mode))
    throw ConfigError(s.extract_location, key + ".extract",
                      "source '" + d.from + "' (plugin " + src.name + ") does not support " +
                          mode_name(s.extract_mode, true) + " (it supports: " +
                          join(extract_mode_names(src.extract_modes), ", ") + ")");
  if (!s.source.where.empty() && src.source_settings && !(*src.source_settings & INGESTD_SOURCE_WHERE))
    throw ConfigError(s.where_location, key + ".where",
                      "source '" + d.from + "' (plugin " + src.name +
                          ") cannot apply a where filter, and a filter ignored would load every row; remove it, or "
                          "filter in a source that can (postgres, sqlite)");
  for (const ComponentPlan* dest : f.destinations) {
    const PluginDescriptor& dp = dest->plugin->descriptor;
    if (!(dp.load_modes & s.load_mode))
      throw ConfigError(s.load_location, key + ".load",
                        "destination '" + dest->def->name + "' (plugin " + dp.name + ") does not support " +
                            mode_name(s.load_mode, false) + " loads (it supports: " +
                            join(load_mode_names(dp.load_modes), ", ") + ")");
  }
}

// A flow whose source and destination are one file or folder reads what it
// writes: a SQLite database locks itself out, a folder grows without end.
void check_not_its_own_destination(const FlowPlan& f, const std::string& base_dir) {
  namespace fs = std::filesystem;
  auto path_of = [&](const ComponentPlan& c) -> std::optional<fs::path> {
    const json::Value* p = c.options.is_object() ? c.options.as_object().find("path") : nullptr;
    if (!p || !p->is_string() || p->as_string().empty()) return std::nullopt;
    fs::path path(p->as_string());
    if (path.is_relative()) path = fs::path(base_dir) / path;
    if (!path.has_filename()) path = path.parent_path();  // "data/" is "data"
    std::error_code ec;
    fs::path canonical = fs::weakly_canonical(path, ec);
    return ec ? path.lexically_normal() : canonical;
  };
  const auto source_path = path_of(*f.source);
  if (!source_path) return;
  for (const ComponentPlan* d : f.destinations)
    if (d->plugin == f.source->plugin && path_of(*d) == source_path)
      throw ConfigError(f.def->location, "flows." + f.def->name + ".to",
                        "source '" + f.def->from + "' and destination '" + d->def->name + "' are the same path (" +
                            source_path->string() + "): a flow cannot read what it writes");
}

void check_modes(const FlowPlan& f) {
  check_modes(f, f.def->settings, "flows." + f.def->name);
  for (const auto& [stream, settings] : f.def->overrides)
    check_modes(f, settings, "flows." + f.def->name + ".streams." + stream);
}

}  // namespace

// Both public forms: mistakes to `collect` when given, thrown otherwise.
static Plan build_plan(FlowFile file, PluginRegistry& registry, const std::vector<std::string>& only_flows,
                       ErrorCollector* collect);

std::vector<const ComponentPlan*> FlowPlan::transforms_for(const std::string& stream) const {
  std::vector<const ComponentPlan*> out;
  for (const auto& name : def->settings_for(stream).transforms) out.push_back(transforms.at(name));
  return out;
}

std::string ComponentPlan::where() const {
  return def->location.str() + ": " + role_name(role) + "s." + def->name;
}

Plan build_plan(FlowFile file, PluginRegistry& registry, ErrorCollector& errors) {
  return build_plan(std::move(file), registry, {}, &errors);
}

Plan build_plan(FlowFile file, PluginRegistry& registry, const std::vector<std::string>& only_flows) {
  return build_plan(std::move(file), registry, only_flows, nullptr);
}

Plan build_plan(FlowFile file, PluginRegistry& registry, const std::vector<std::string>& only_flows,
                ErrorCollector* collect) {
  Plan plan;
  plan.file = std::move(file);
  for (const auto& name : only_flows)
    if (!plan.file.find_flow(name))
      throw ConfigError(Location{plan.file.path}, "--flow",
                        "no flow named '" + name + "' (flows: " + join(plan.file.flow_names(), ", ") + ")");
  // Every component is checked, used by the selected flow or not: a mistake
  // anywhere in the file is reported before anything runs.
  // Every mistake is reported in one pass.
  ErrorCollector own;
  ErrorCollector& errors = collect ? *collect : own;
  plan.sources.reserve(plan.file.sources.size());
  for (const auto& s : plan.file.sources)
    errors.run([&] { plan.sources.push_back(plan_component(s, "sources", INGESTD_KIND_SOURCE, registry)); });
  plan.destinations.reserve(plan.file.destinations.size());
  for (const auto& d : plan.file.destinations)
    errors.run([&] {
      plan.destinations.push_back(plan_component(d, "destinations", INGESTD_KIND_DESTINATION, registry));
    });

  plan.transforms.reserve(plan.file.transforms.size());
  for (const auto& t : plan.file.transforms)
    errors.run([&] { plan.transforms.push_back(plan_component(t, "transforms", INGESTD_KIND_TRANSFORM, registry)); });

  auto find = [](const std::vector<ComponentPlan>& v, const std::string& name) -> const ComponentPlan* {
    for (const auto& c : v)
      if (c.def->name == name) return &c;
    return nullptr;
  };
  for (const auto& f : plan.file.flows) {
    if (!only_flows.empty() && std::find(only_flows.begin(), only_flows.end(), f.name) == only_flows.end()) continue;
    FlowPlan fp;
    fp.def = &f;
    fp.source = find(plan.sources, f.from);
    bool complete = fp.source != nullptr;
    for (const auto& t : f.to) {
      fp.destinations.push_back(find(plan.destinations, t));
      complete = complete && fp.destinations.back();
    }
    auto use_transforms = [&](const StreamSettings& s) {
      for (const auto& name : s.transforms) {
        fp.transforms[name] = find(plan.transforms, name);
        complete = complete && fp.transforms[name];
      }
    };
    use_transforms(f.settings);
    for (const auto& [stream, settings] : f.overrides) use_transforms(settings);
    if (!complete) continue;  // a component it uses is in error, reported above
    if (errors.run([&] {
          check_modes(fp);
          check_not_its_own_destination(fp, plan.file.dir);
        }))
      plan.flows.push_back(fp);
  }
  if (!collect) errors.throw_if_any();
  return plan;
}

}  // namespace ingestd
