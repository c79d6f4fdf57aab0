// A streaming RFC 4180 tokenizer: quoted fields, doubled quotes, embedded
// newlines, CRLF or LF line ends, a UTF-8 byte-order mark, a missing final
// newline. Fields are views into the read buffer, valid until the next call.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ingestd::plugins::files {

struct CsvField {
  std::string_view text;
  bool quoted = false;  // "" is an empty string; an empty unquoted field is NULL
};

class CsvReader {
 public:
  // Throws ingestd::sdk::Error (config) when the file cannot be opened. A
  // record longer than `max_record` bytes fails the read (data), naming its
  // line: a file that is not CSV (one huge "line") must not take the memory.
  CsvReader(const std::string& path, char delimiter, char quote, std::size_t max_record = kDefaultMaxRecord);
  static constexpr std::size_t kDefaultMaxRecord = std::size_t{16} << 20;
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Reads the next record; false at the end of the file. Blank lines are
  // skipped. Throws ingestd::sdk::Error (data) on malformed quoting.
  bool next(std::vector<CsvField>& fields);
  // Line on which the last record started (1-based).
  int64_t line() const { return record_line_; }
  const std::string& path() const { return path_; }
  // Bytes consumed so far.
  int64_t offset() const { return consumed_ + static_cast<int64_t>(pos_); }

 private:
  enum class Scan { Record, NeedMore };
  Scan scan(std::vector<CsvField>& fields);
  bool fill();  // false at end of file
  void unescape(CsvField& field);

  std::string path_;
  int fd_ = -1;
  char delimiter_;
  char quote_;
  std::size_t max_record_;
  std::vector<char> buffer_;
  std::size_t pos_ = 0;   // next unread byte
  std::size_t end_ = 0;   // bytes valid in buffer_
  int64_t consumed_ = 0;  // bytes dropped from the front of buffer_ so far
  bool eof_ = false;
  bool first_ = true;
  int64_t line_ = 1;
  int64_t record_line_ = 0;
  std::vector<bool> escaped_;  // per field: holds doubled quotes
};

}  // namespace ingestd::plugins::files
