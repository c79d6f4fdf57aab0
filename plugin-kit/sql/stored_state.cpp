#include <ingestd/kit/sql/stored_state.hpp>

namespace ingestd::kit::sql {

sdk::Error stale_state_commit(const std::string& key, int64_t generation, const std::string& stored) {
  return sdk::io_error("state of " + key + ": " + stored + " was committed here after this run lost its lease; this "
                       "commit (generation " + std::to_string(generation) + ") is refused and rolled back",
                       false);
}

}  // namespace ingestd::kit::sql
