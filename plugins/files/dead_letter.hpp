// Records skipped under on_error = "skip": each goes, with where it came from
// and why, as one JSON line into the dead-letter file, and is counted.
#pragma once

#include <ingestd/sdk/plugin.hpp>

#include <cstdio>
#include <string>
#include <string_view>

namespace ingestd::plugins::files {

class DeadLetter {
 public:
  DeadLetter(std::string path, ingestd::sdk::Host host) : path_(std::move(path)), host_(std::move(host)) {}
  ~DeadLetter();
  DeadLetter(const DeadLetter&) = delete;
  DeadLetter& operator=(const DeadLetter&) = delete;

  // `record` is the record as text (a CSV line re-quoted, or the JSON line).
  void reject(const std::string& file, int64_t line, const std::string& error, std::string_view record);
  // Makes written lines durable (called when the source checkpoints or ends).
  void flush();
  int64_t count() const { return count_; }

 private:
  std::string path_;
  ingestd::sdk::Host host_;
  std::FILE* out_ = nullptr;
  int64_t count_ = 0;
};

}  // namespace ingestd::plugins::files
