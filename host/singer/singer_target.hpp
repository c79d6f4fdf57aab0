// ingestd as a Singer target: Singer messages in, each stream written into a
// table of one destination, each STATE line passed on only once everything
// before it is committed, so that `tap | ingestd singer-target` keeps the
// tap's state honest.
#pragma once

#include "loader/plugin_instance.hpp"

#include <ingestd/abi.h>

#include <cstdint>
#include <cstdio>
#include <istream>
#include <optional>
#include <string>

namespace ingestd {

struct SingerTargetOptions {
  // Unset: merge on key_properties, append without them, replace for a
  // stream whose ACTIVATE_VERSION comes before its first record.
  std::optional<uint32_t> load_mode;
  // The destination's load modes: a default it cannot do falls back to append.
  uint32_t supported_loads = INGESTD_LOAD_APPEND | INGESTD_LOAD_REPLACE | INGESTD_LOAD_MERGE;
  int64_t batch_rows = INGESTD_DEFAULT_BATCH_ROWS;
  std::string run_id;
};

struct SingerTargetResult {
  int64_t records = 0;
  int64_t states = 0;
  int64_t streams = 0;
};

// Throws std::runtime_error naming the input line for malformed messages;
// tables are then closed without their uncommitted rows.
SingerTargetResult run_singer_target(PluginInstance& destination, std::istream& in, std::FILE* out,
                                     const SingerTargetOptions& options);

}  // namespace ingestd
