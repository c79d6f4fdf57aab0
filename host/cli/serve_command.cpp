#include "cli/commands.hpp"
#include "log/logging.hpp"
#include "loader/plugin_registry.hpp"
#include "pump/signals.hpp"
#include "serve/admin_server.hpp"
#include "serve/daemon.hpp"
#include "serve/serve_config.hpp"
#include "state/state_store.hpp"

namespace ingestd::cli {

int serve_command(const GlobalOptions& g, const ServeArgs& a) {
  // Before any thread starts, so that signals reach the watcher alone.
  Daemon* daemon = nullptr;
  SignalWatcher signals([&](int) { if (daemon) daemon->stop(); },
                        [&] { if (daemon) daemon->reload(); });
  PluginRegistry registry(g.plugin_paths);
  std::shared_ptr<const ServeConfig> config = load_serve_config(a.flows, registry);
  std::unique_ptr<StateStore> state = open_state_store(config->plan.file);
  const std::string listen = a.listen ? *a.listen : config->plan.file.serve.listen;
  Daemon served(a.flows, registry, config, *state);
  AdminServer admin(served, listen);
  daemon = &served;
  return served.run();
}

}  // namespace ingestd::cli
