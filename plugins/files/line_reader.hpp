// Reads a file line by line through a large buffer, leaving enough readable
// bytes after every line for simdjson to parse it in place.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ingestd::plugins::files {

class LineReader {
 public:
  // Throws ingestd::sdk::Error (config) when the file cannot be opened. A
  // line longer than `max_line` bytes fails the read (data), naming it.
  explicit LineReader(const std::string& path, std::size_t max_line = kDefaultMaxLine);
  static constexpr std::size_t kDefaultMaxLine = std::size_t{16} << 20;
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line without its line end; false at the end of the file. The
  // view stays valid until the next call, with padding() readable bytes after it.
  bool next(std::string_view& line);
  int64_t line_number() const { return line_number_; }
  const std::string& path() const { return path_; }
  static constexpr std::size_t padding() { return 64; }

 private:
  bool fill();
  std::string path_;
  int fd_ = -1;
  std::size_t max_line_;
  std::vector<char> buffer_;
  std::size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  bool first_ = true;
  int64_t line_number_ = 0;
};

}  // namespace ingestd::plugins::files
