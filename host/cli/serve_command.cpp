#include "cli/commands.hpp"
#include "cluster/cluster_worker.hpp"
#include "log/logging.hpp"
#include "loader/plugin_registry.hpp"
#include "pump/signals.hpp"
#include "serve/admin_server.hpp"
#include "serve/daemon.hpp"
#include "serve/serve_config.hpp"
#include "state/state_store.hpp"

#include <mutex>

namespace ingestd::cli {

namespace {

// The daemon signals reach: a stop that comes before the daemon exists is
// kept for it, and none reaches it once it is gone.
class SignalTarget {
 public:
  void stop() {
    std::lock_guard lock(mutex_);
    if (daemon_) daemon_->stop();
    else stop_early_ = true;
  }
  void reload() {
    std::lock_guard lock(mutex_);
    if (daemon_) daemon_->reload();
  }
  void attach(ServeService* daemon) {
    std::lock_guard lock(mutex_);
    daemon_ = daemon;
    if (daemon_ && stop_early_) daemon_->stop();
  }

 private:
  std::mutex mutex_;
  ServeService* daemon_ = nullptr;
  bool stop_early_ = false;
};

}  // namespace

int serve_command(const GlobalOptions& g, const ServeArgs& a) {
  SignalTarget target;
  // Before any thread starts, so that signals reach the watcher alone.
  SignalWatcher signals([&](int) { target.stop(); }, [&] { target.reload(); });
  PluginRegistry registry(g.plugin_paths);
  std::shared_ptr<const ServeConfig> config = load_serve_config(a.flows, registry);
  std::unique_ptr<StateStore> state = open_state_store(config->plan.file);
  std::unique_ptr<ServeService> service;
  if (config->plan.file.cluster.enabled) {
    try {
      service = std::make_unique<ClusterWorker>(a.flows, registry, config, *state);
    } catch (const ClusterRefusedError& e) {
      log::error(std::string("cluster: this worker does not join: ") + e.what());
      return 2;
    }
  } else {
    service = std::make_unique<Daemon>(a.flows, registry, config, *state);
  }
  ServeService& daemon = *service;
  AdminServer admin(daemon, a.listen ? *a.listen : config->plan.file.serve.listen);
  target.attach(&daemon);
  const int code = daemon.run();
  target.attach(nullptr);
  return code;
}

}  // namespace ingestd::cli
