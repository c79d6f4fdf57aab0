// The parquet destination's table: a folder of Parquet files in Hive
// partitions, written through DuckDB's Parquet writer, committed by its
// manifest (see manifest.hpp).
#pragma once

#include <duck.hpp>

#include <ingestd/sdk/plugin.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ingestd::plugins::parquet {

struct LakeSettings {
  std::filesystem::path path;             // the lake's folder; each table a folder in it
  std::vector<std::string> partition_by;  // columns, or _ingestd_run_date / _ingestd_run_id
  std::string compression = "zstd";
  int64_t target_file_size = int64_t{128} << 20;
  // Rows gathered for an append or a replace go out as a file (listed at the
  // next commit) once DuckDB holds this much: memory stays bounded whatever
  // the commits' size.
  int64_t flush_bytes = int64_t{32} << 20;
};

inline constexpr const char* kRunDate = "_ingestd_run_date";

std::unique_ptr<sdk::DestinationTable> open_lake_table(const LakeSettings& settings,
                                                       std::shared_ptr<duck::Database> db,
                                                       const sdk::TableRequest& request);

// Checkpoints live in the manifests: the one holding `key`, if any.
std::optional<sdk::StoredState> load_lake_state(const LakeSettings& settings, const std::string& key);
void clear_lake_state(const LakeSettings& settings, const std::string& key);

}  // namespace ingestd::plugins::parquet
