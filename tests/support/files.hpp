// Temporary folders and small file helpers for tests.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace testing {

// A fresh folder under $TMPDIR, removed with everything in it at the end of
// the test (kept when INGESTD_KEEP_TEST_DIRS is set, for debugging).
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_file(const std::string& path, const std::string& content);
std::string read_file(const std::string& path);
std::vector<std::string> read_lines(const std::string& path);
// KEY=VALUE lines (the env files the test servers' scripts write).
std::map<std::string, std::string> read_settings(const std::string& path);
bool file_exists(const std::string& path);
bool contains(const std::string& haystack, const std::string& needle);

}  // namespace testing
