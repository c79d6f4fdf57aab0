#include "config/flow_file.hpp"
#include "log/logging.hpp"
#include "state/state_store.hpp"

#include <filesystem>

namespace ingestd {

std::unique_ptr<StateStore> open_state_store(const FlowFile& flows) {
  Location where = flows.state_location.file.empty() ? Location{flows.path} : flows.state_location;
  try {
    if (flows.state_backend == "postgres") {
      log::add_secret(flows.state_dsn);
      return open_postgres_state_store(flows.state_dsn, flows.state_schema);
    }
    std::filesystem::path p = flows.state_path ? std::filesystem::path(*flows.state_path)
                                               : std::filesystem::path(".ingestd/state.db");
    if (p.is_relative()) p = std::filesystem::path(flows.dir) / p;
    return open_sqlite_state_store(p.lexically_normal().string());
  } catch (const std::exception& e) {
    throw ConfigError(where, "state", log::redact(e.what()));
  }
}

}  // namespace ingestd
