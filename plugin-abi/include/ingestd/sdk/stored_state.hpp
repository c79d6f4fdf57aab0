// A checkpoint as stored: by a destination with its data (transactional
// state), or by the host's state store.
#pragma once

#include <cstdint>
#include <string>

namespace ingestd::sdk {

struct StoredState {
  std::string data;
  int64_t generation = 0;  // orders the checkpoints of a stream
};

}  // namespace ingestd::sdk
