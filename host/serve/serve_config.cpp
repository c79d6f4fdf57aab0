#include "serve/serve_config.hpp"

#include "config/flow_file.hpp"
#include "log/logging.hpp"

namespace ingestd {

namespace {

// Compared in memory only: it holds secrets as written, so it is never printed.
std::string component_text(const ComponentPlan& c) {
  return c.def->plugin + " " + c.options.dump();
}

}  // namespace

std::shared_ptr<const ServeConfig> load_serve_config(const std::string& path, PluginRegistry& registry) {
  auto config = std::make_shared<ServeConfig>();
  config->plan = build_plan(load_flow_file(path), registry);
  if (!config->plan.file.serve.token.empty()) log::add_secret(config->plan.file.serve.token);
  for (const FlowPlan& f : config->plan.flows) {
    std::string text = f.def->definition + "\nfrom " + component_text(*f.source);
    for (const ComponentPlan* d : f.destinations) text += "\nto " + component_text(*d);
    // A changed transform changes what its flows load: they restart on reload.
    for (const auto& [name, t] : f.transforms) text += "\ntransform " + name + " " + component_text(*t);
    config->definitions[f.def->name] = std::move(text);
  }
  return config;
}

std::shared_ptr<const ServeConfig> reload_serve_config(const std::string& path, PluginRegistry& registry,
                                                       std::string& error) {
  try {
    return load_serve_config(path, registry);
  } catch (const ConfigErrors& e) {
    for (const auto& one : e.errors()) error += (error.empty() ? "" : "; ") + std::string(one.what());
  } catch (const std::exception& e) {
    error = e.what();
  }
  return nullptr;
}

}  // namespace ingestd
