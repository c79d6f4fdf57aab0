// A file only ingestd's user can read (mode 0600), removed with the object:
// how connector configs, catalogs and states reach a child process.
#pragma once

#include <string>
#include <string_view>

namespace ingestd::kit::child {

class PrivateFile {
 public:
  // Writes `content` to a new file named after `label` in a private folder
  // under $TMPDIR (or /tmp).
  PrivateFile(std::string_view label, std::string_view content);
  ~PrivateFile();
  PrivateFile(const PrivateFile&) = delete;
  PrivateFile& operator=(const PrivateFile&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string dir_, path_;
};

}  // namespace ingestd::kit::child
