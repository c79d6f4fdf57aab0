#include "cli/commands.hpp"
#include "config/flow_file.hpp"
#include "config/names.hpp"
#include "loader/plugin_instance.hpp"
#include "config/plan.hpp"
#include "pump/transform_chain.hpp"
#include "util/strings.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace ingestd::cli {

namespace {

void print_text(const std::vector<CatalogStream>& streams) {
  for (const auto& s : streams) {
    std::printf("stream %s\n", s.name.c_str());
    std::printf("  primary key:       %s\n", s.primary_key.empty() ? "(none)" : join(s.primary_key, ", ").c_str());
    std::printf("  cursor candidates: %s\n",
                s.cursor_candidates.empty() ? "(none)" : join(s.cursor_candidates, ", ").c_str());
    std::printf("  extract modes:     %s\n", join(extract_mode_names(s.extract_modes), ", ").c_str());
    std::size_t width = 4;
    for (const auto& f : s.schema.fields) width = std::max(width, f.name.size());
    std::printf("  columns:\n");
    for (const auto& f : s.schema.fields)
      std::printf("    %-*s  %-16s%s\n", static_cast<int>(width), f.name.c_str(), f.type.name().c_str(),
                  f.nullable ? "" : "  not null");
  }
}

json::Value to_json(const std::vector<CatalogStream>& streams) {
  auto strings = [](const std::vector<std::string>& v) {
    json::Array a;
    for (const auto& s : v) a.push_back(json::Value(s));
    return json::Value(std::move(a));
  };
  json::Array out;
  for (const auto& s : streams) {
    json::Object o;
    o.set("name", s.name);
    json::Array cols;
    for (const auto& f : s.schema.fields) {
      json::Object c;
      c.set("name", f.name);
      c.set("type", f.type.name());
      c.set("nullable", f.nullable);
      cols.push_back(json::Value(std::move(c)));
    }
    o.set("columns", json::Value(std::move(cols)));
    o.set("primary_key", strings(s.primary_key));
    o.set("cursor_candidates", strings(s.cursor_candidates));
    o.set("extract_modes", strings(extract_mode_names(s.extract_modes)));
    out.push_back(json::Value(std::move(o)));
  }
  return json::Value(std::move(out));
}

void print_yaml(const std::vector<CatalogStream>& streams) {
  YAML::Emitter y;
  y << YAML::BeginSeq;
  for (const auto& s : streams) {
    y << YAML::BeginMap << YAML::Key << "name" << YAML::Value << s.name;
    y << YAML::Key << "columns" << YAML::Value << YAML::BeginSeq;
    for (const auto& f : s.schema.fields)
      y << YAML::BeginMap << YAML::Key << "name" << YAML::Value << f.name << YAML::Key << "type" << YAML::Value
        << f.type.name() << YAML::Key << "nullable" << YAML::Value << f.nullable << YAML::EndMap;
    y << YAML::EndSeq;
    y << YAML::Key << "primary_key" << YAML::Value << YAML::Flow << s.primary_key;
    y << YAML::Key << "cursor_candidates" << YAML::Value << YAML::Flow << s.cursor_candidates;
    y << YAML::Key << "extract_modes" << YAML::Value << YAML::Flow << extract_mode_names(s.extract_modes);
    y << YAML::EndMap;
  }
  y << YAML::EndSeq;
  std::cout << y.c_str() << "\n";
}

// The streams `flow` reads, each with the columns its transforms deliver.
std::vector<CatalogStream> as_delivered(const Plan& plan, const FlowPlan& flow, std::vector<CatalogStream> streams) {
  const auto& read = flow.def->streams;
  if (!read.empty())
    std::erase_if(streams, [&](const CatalogStream& s) { return std::find(read.begin(), read.end(), s.name) == read.end(); });
  FlowTransforms transforms(plan, flow);
  for (CatalogStream& s : streams) s.schema = transforms.schema_after(s.name, s.schema);
  return streams;
}

}  // namespace

int discover_command(const GlobalOptions& g, const DiscoverArgs& a) {
  PluginRegistry registry(g.plugin_paths);
  Plan plan = build_plan(load_flow_file(a.flows), registry);
  if (a.source.empty() == a.flow.empty())
    throw ConfigError(Location{plan.file.path}, "--source", "name a source (--source NAME) or a flow (--flow NAME)");
  const FlowPlan* flow = nullptr;
  for (const auto& f : plan.flows)
    if (f.def->name == a.flow) flow = &f;
  if (!a.flow.empty() && !flow)
    throw ConfigError(Location{plan.file.path}, "--flow",
                      "no flow named '" + a.flow + "' (flows: " + join(plan.file.flow_names(), ", ") + ")");
  const ComponentPlan* source = flow ? flow->source : nullptr;
  for (const auto& s : plan.sources)
    if (s.def->name == a.source) source = &s;
  if (!source) {
    std::vector<std::string> names;
    for (const auto& s : plan.sources) names.push_back(s.def->name);
    throw ConfigError(Location{plan.file.path}, "--source",
                      "no source named '" + a.source + "' (sources: " + (names.empty() ? "none" : join(names, ", ")) + ")");
  }
  std::atomic<bool> cancelled{false};
  PluginInstance instance(*source->plugin, source->def->name, INGESTD_KIND_SOURCE, source->options, plan.file.dir,
                          &cancelled);
  auto streams = instance.discover();
  if (flow) streams = as_delivered(plan, *flow, std::move(streams));
  if (a.format == "json") std::printf("%s\n", to_json(streams).dump().c_str());
  else if (a.format == "yaml") print_yaml(streams);
  else print_text(streams);
  return kExitOk;
}

}  // namespace ingestd::cli
