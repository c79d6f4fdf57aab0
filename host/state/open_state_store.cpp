#include "config/flow_file.hpp"
#include "log/logging.hpp"
#include "state/state_store.hpp"

#include <chrono>
#include <filesystem>
#include <thread>
#include <unistd.h>

namespace ingestd {

namespace {

namespace fs = std::filesystem;

// SQLite writes the database and, beside it, its journal: the file (if it
// exists) and its folder (or the nearest folder that would hold it) must be
// writable. Empty when they are; otherwise what is not.
std::string unwritable(const fs::path& db) {
  std::error_code ec;
  if (fs::exists(db, ec) && ::access(db.c_str(), W_OK) != 0) return "the file is not writable by this user";
  fs::path dir = db.parent_path();
  while (!dir.empty() && !fs::exists(dir, ec) && dir.parent_path() != dir) dir = dir.parent_path();
  if (::access(dir.c_str(), W_OK | X_OK) != 0) return "the folder " + dir.string() + " is not writable by this user";
  return {};
}

}  // namespace

std::unique_ptr<StateStore> open_state_store(const FlowFile& flows) {
  Location where = flows.state_location.file.empty() ? Location{flows.path} : flows.state_location;
  if (flows.state_backend == "postgres") {
    try {
      log::add_secret(flows.state_dsn);
      return open_postgres_state_store(flows.state_dsn, flows.state_schema);
    } catch (const std::exception& e) {
      throw ConfigError(where, "state.dsn", log::redact(e.what()));
    }
  }
  fs::path p = flows.state_path ? fs::path(*flows.state_path) : fs::path(".ingestd/state.db");
  if (p.is_relative()) p = fs::path(flows.dir) / p;
  p = p.lexically_normal();
  const std::string key = flows.state_path ? "state.path" : "state.path (default .ingestd/state.db)";
  if (std::string why = unwritable(p); !why.empty())
    throw ConfigError(where, key,
                      "cannot write the state store " + p.string() + ": " + why +
                          "; set [state] path to a writable place");
  // Two processes creating one store at once can find each other's locks
  // in a way SQLite reports at once rather than waiting: that is contention,
  // not a configuration mistake, and passes on a second try.
  for (int attempt = 0;; ++attempt) {
    try {
      return open_sqlite_state_store(p.string());
    } catch (const StateStoreError& e) {
      if (!e.transient()) throw ConfigError(where, key, log::redact(e.what()));
      if (attempt >= 20) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(50 * (attempt + 1)));
    } catch (const std::exception& e) {
      throw ConfigError(where, key, log::redact(e.what()));
    }
  }
}

}  // namespace ingestd
