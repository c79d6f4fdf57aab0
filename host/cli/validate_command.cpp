#include "cli/commands.hpp"
#include "config/names.hpp"
#include "config/flow_file.hpp"
#include "loader/plugin_instance.hpp"
#include "log/logging.hpp"
#include "config/plan.hpp"
#include "pump/stream_checks.hpp"
#include "pump/transform_chain.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

namespace ingestd::cli {

namespace {

// Runs each stream the flow reads through its transforms on the schema the
// source discovered: a column a transform names that the stream lacks, or
// a merge key a transform removes, is a mistake of the flow file (thrown as
// the transform's sdk::Error, which names where the transform is defined).
void check_flow_transforms(const Plan& plan, const FlowPlan& f, const std::vector<CatalogStream>& catalog) {
  FlowTransforms transforms(plan, f);
  for (const CatalogStream& s : catalog) {
    const auto& read = f.def->streams;
    if (!read.empty() && std::find(read.begin(), read.end(), s.name) == read.end()) continue;
    if (!transforms.any_for(s.name)) continue;
    const StreamSettings& settings = f.def->settings_for(s.name);
    const sdk::Schema out = transforms.schema_after(s.name, s.schema);
    if (settings.load_mode == INGESTD_LOAD_MERGE)
      check_keys_kept(out, settings.primary_key.empty() ? s.primary_key : settings.primary_key, s.name);
  }
}

// Creates every transform (which checks its options against each other,
// beyond their types), so that an offline validate reports them.
void check_transform_options(const Plan& plan) {
  std::atomic<bool> cancelled{false};
  for (const auto& t : plan.transforms)
    PluginInstance(*t.plugin, t.def->name, t.role, t.options, plan.file.dir, &cancelled, t.where());
}

// Discovers each flow's source (but those in skip_sources) and checks the
// flow against its catalog (streams, keys, cursors). Prints each mistake;
// returns how many, and counts in `config` those that are the configuration's.
int check_flows_connected(const Plan& plan, int& config, const std::set<const ComponentPlan*>& skip_sources = {}) {
  std::atomic<bool> cancelled{false};
  int failures = 0;
  for (const auto& f : plan.flows) {
    if (skip_sources.count(f.source)) continue;  // its failure is reported already
    try {
      PluginInstance source(*f.source->plugin, f.source->def->name, INGESTD_KIND_SOURCE, f.source->options,
                            plan.file.dir, &cancelled, f.source->where());
      std::vector<CatalogStream> catalog;
      try {
        catalog = source.discover();
      } catch (const sdk::Error& e) {
        if (e.status() != INGESTD_ERROR_NOT_SUPPORTED) throw;
        continue;  // a source without a catalog is checked when it runs
      }
      ErrorCollector errors;
      check_flow_streams(*f.def, catalog, errors);
      errors.throw_if_any();
      check_flow_transforms(plan, f, catalog);
      std::printf("ok    flow %s\n", f.def->name.c_str());
    } catch (const ConfigErrors& e) {
      for (const auto& one : e.errors()) std::printf("FAIL  flow %s: %s\n", f.def->name.c_str(), log::redact(one.what()).c_str());
      failures += static_cast<int>(e.errors().size());
      config += static_cast<int>(e.errors().size());
    } catch (const std::exception& e) {
      ++failures;
      const auto* pe = dynamic_cast<const sdk::Error*>(&e);
      config += dynamic_cast<const ConfigError*>(&e) || (pe && pe->is_config()) ? 1 : 0;
      std::printf("FAIL  flow %s: %s\n", f.def->name.c_str(), log::redact(e.what()).c_str());
    }
  }
  return failures;
}

}  // namespace

int validate_command(const GlobalOptions& g, const std::string& flows, bool connect) {
  PluginRegistry registry(g.plugin_paths);
  // The file's mistakes and its plugins' in one report.
  ErrorCollector errors;
  FlowFile file = load_flow_file(flows, true, errors);
  Plan plan = build_plan(std::move(file), registry, errors);
  errors.throw_if_any();
  check_transform_options(plan);
  std::printf("%s: valid (%zu source%s, %zu destination%s, %zu flow%s)\n", flows.c_str(), plan.sources.size(),
              plan.sources.size() == 1 ? "" : "s", plan.destinations.size(), plan.destinations.size() == 1 ? "" : "s",
              plan.flows.size(), plan.flows.size() == 1 ? "" : "s");
  for (const auto& f : plan.flows) {
    std::vector<std::string> to;
    for (const auto* d : f.destinations) to.push_back(d->def->name + " (" + d->plugin->descriptor.name + ")");
    std::printf("  flow %s: %s (%s) -> %s; extract %s, load %s\n", f.def->name.c_str(), f.source->def->name.c_str(),
                f.source->plugin->descriptor.name.c_str(), join(to, ", ").c_str(),
                mode_name(f.def->settings.extract_mode, true).c_str(), mode_name(f.def->settings.load_mode, false).c_str());
    if (!f.def->settings.transforms.empty())
      std::printf("    transforms: %s\n", join(f.def->settings.transforms, " -> ").c_str());
    for (const auto& [stream, s] : f.def->overrides)
      std::printf("    stream %s: extract %s, load %s%s\n", stream.c_str(), mode_name(s.extract_mode, true).c_str(),
                  mode_name(s.load_mode, false).c_str(),
                  s.transforms.empty() ? "" : ("; transforms " + join(s.transforms, " -> ")).c_str());
  }
  if (!connect) return kExitOk;
  int config = 0;
  int failures = check_flows_connected(plan, config);
  std::fflush(stdout);
  if (!failures) return kExitOk;
  return failures == config ? kExitConfig : kExitFailed;
}

int check_command(const GlobalOptions& g, const std::string& flows) {
  PluginRegistry registry(g.plugin_paths);
  Plan plan = build_plan(load_flow_file(flows), registry);
  std::atomic<bool> cancelled{false};
  int failures = 0, config = 0;
  std::set<const ComponentPlan*> failed;
  auto check_one = [&](const ComponentPlan& c) {
    std::string label = role_name(c.role) + " " + c.def->name + " (" + c.plugin->descriptor.name + ")";
    try {
      PluginInstance instance(*c.plugin, c.def->name, c.role, c.options, plan.file.dir, &cancelled, c.where());
      instance.check();
      std::printf("ok    %s\n", label.c_str());
    } catch (const std::exception& e) {
      ++failures;
      failed.insert(&c);
      const auto* pe = dynamic_cast<const sdk::Error*>(&e);
      config += dynamic_cast<const ConfigError*>(&e) || (pe && pe->is_config()) ? 1 : 0;
      std::printf("FAIL  %s: %s\n", label.c_str(), log::redact(e.what()).c_str());
    }
  };
  for (const auto& s : plan.sources) check_one(s);
  for (const auto& d : plan.destinations) check_one(d);
  // Flows whose source answered are checked against what it has.
  failures += check_flows_connected(plan, config, failed);
  std::fflush(stdout);
  // As run does: 2 when every failure is the configuration's.
  if (!failures) return kExitOk;
  return failures == config ? kExitConfig : kExitFailed;
}

}  // namespace ingestd::cli
