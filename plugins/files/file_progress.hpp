// Incremental reading of files: which files are new or changed since the
// stored state (by size and modification time), and the checkpoint after
// each file read.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ingestd::plugins::files {

class FileProgress {
 public:
  // `state`: the last committed checkpoint; `listed`: the files there now.
  // Files under `root` are remembered relative to it, so moving the whole
  // folder (a project checkout, a mount point) does not read them again.
  FileProgress(const std::optional<std::string>& state, const std::vector<std::string>& listed,
               const std::string& root);

  // New or changed files, in name order.
  const std::vector<std::string>& pending() const { return pending_; }
  // Marks `path` read.
  void complete(const std::string& path);
  // The state covering every file read or unchanged (files that disappeared
  // are dropped from it).
  std::string checkpoint() const;

 private:
  struct Signature {
    int64_t size = -1;
    int64_t mtime_ns = -1;
    bool operator==(const Signature&) const = default;
  };
  std::string key(const std::string& path) const;

  std::string root_;
  std::map<std::string, Signature> listed_;  // by key, as seen when the stream opened
  std::map<std::string, std::string> paths_;  // key -> path
  std::map<std::string, Signature> done_;    // read and committed, or unchanged
  std::vector<std::string> pending_;
};

}  // namespace ingestd::plugins::files
