// A lake table's manifest: the committed files readers follow (with their
// row counts), the files a replace is still writing, and the checkpoints
// committed with them. It is the table's single commit point: files are
// only visible once the manifest that lists them has been renamed into
// place, so a crash leaves either the old list or the new one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ingestd::plugins::parquet {

struct DataFile {
  std::string path;  // relative to the table folder, e.g. "day=2024-01-01/RUN-3-0.parquet"
  int64_t rows = 0;
  std::string run_id;

  bool operator==(const DataFile&) const = default;
};

struct SavedCheckpoint {
  std::string data;  // as the source emitted it
  int64_t generation = 0;

  bool operator==(const SavedCheckpoint&) const = default;
};

struct Manifest {
  std::vector<DataFile> files;
  // A replace in progress: its run and the files it has written so far.
  std::string replacing_run;
  std::vector<DataFile> replacing_files;
  std::map<std::string, SavedCheckpoint> checkpoints;  // by state key

  int64_t rows() const;
  // The same commit: files, a replace in progress and checkpoints alike.
  bool operator==(const Manifest&) const = default;
};

inline constexpr const char* kManifestName = "_ingestd_manifest.json";

// The manifest of `table_dir`, empty when there is none yet.
Manifest load_manifest(const std::filesystem::path& table_dir);
bool has_manifest(const std::filesystem::path& table_dir);
// The table folders of a lake (those with a manifest), in name order.
std::vector<std::filesystem::path> lake_tables(const std::filesystem::path& lake);
// Writes a temporary file, syncs it, renames it over the manifest, syncs the folder.
void save_manifest(const std::filesystem::path& table_dir, const Manifest& m);

// An exclusive lock on a table's manifest across processes (flock on
// `_ingestd_manifest.lock` in the table folder), held while it lives: a
// writer reads the manifest, checks it and writes the next one under it.
class ManifestLock {
 public:
  explicit ManifestLock(const std::filesystem::path& table_dir);
  ~ManifestLock();
  ManifestLock(const ManifestLock&) = delete;
  ManifestLock& operator=(const ManifestLock&) = delete;

 private:
  int fd_;
};

// Syncs a file's or a folder's contents to disk.
void sync_path(const std::filesystem::path& p);

}  // namespace ingestd::plugins::parquet
