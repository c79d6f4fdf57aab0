// A streaming RFC 4180 tokenizer: quoted fields, doubled quotes, embedded
// newlines, CRLF or LF line ends, a UTF-8 byte-order mark, a missing final
// newline. Fields are views into the read buffer, valid until the next call.
#pragma once

#include "csv_scan.hpp"

#include <cstdint>
#include <memory>
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
  CsvReader(const std::string& path, char delimiter, char quote, std::size_t max_record = kDefaultMaxRecord,
            const CsvScanner& scanner = best_csv_scanner());
  static constexpr std::size_t kDefaultMaxRecord = std::size_t{16} << 20;
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Reads the next record; false at the end of the file. Blank lines are
  // skipped. Throws ingestd::sdk::Error (data) on malformed quoting.
  bool next(std::vector<CsvField>& fields);
  // The last record holds only ASCII bytes (so it is valid UTF-8 as it is).
  bool record_is_ascii() const { return record_ascii_; }
  // Line on which the last record started (1-based).
  int64_t line() const { return record_line_; }
  const std::string& path() const { return path_; }
  // Bytes consumed so far.
  int64_t offset() const { return consumed_ + static_cast<int64_t>(pos_); }

  // From now on each refill reads into a new buffer rather than the one the
  // records so far point into: a record's fields stay valid as long as its
  // buffer (current_buffer() when it was read) is held.
  void keep_buffers() { keep_buffers_ = true; }
  const std::shared_ptr<std::vector<char>>& current_buffer() const { return buffer_; }

 private:
  enum class Scan { Record, NeedMore };
  Scan scan(std::vector<CsvField>& fields);
  bool fill();  // false at end of file
  void unescape(CsvField& field);
  // Whether buffer_[begin, end) is all ASCII; each byte is looked at about once.
  bool ascii_span(std::size_t begin, std::size_t end);
  // The first delimiter or '\n' at or after buffer_[p], or end_.
  std::size_t field_end(std::size_t p);
  std::size_t capacity() const { return buffer_->size() - kPadding; }
  // buffer_ holds kPadding bytes past its capacity, so that a 64-byte
  // separator block starting anywhere below end_ is readable.
  static constexpr std::size_t kPadding = 64;

  std::string path_;
  int fd_ = -1;
  char delimiter_;
  char quote_;
  std::size_t max_record_;
  std::shared_ptr<std::vector<char>> buffer_;
  std::size_t pos_ = 0;   // next unread byte
  std::size_t end_ = 0;   // bytes valid in buffer_
  int64_t consumed_ = 0;  // bytes dropped from the front of buffer_ so far
  bool eof_ = false;
  bool first_ = true;
  bool keep_buffers_ = false;
  // Buffers given up by keep_buffers_ refills, reused once no one holds them.
  std::vector<std::shared_ptr<std::vector<char>>> spares_;
  static constexpr std::size_t kMaxSpares = 16;
  std::shared_ptr<std::vector<char>> spare_buffer(std::size_t size);
  int64_t line_ = 1;
  int64_t record_line_ = 0;
  std::vector<bool> escaped_;  // per field: holds doubled quotes
  const CsvScanner& scanner_;
  // Separator bits of the 64 bytes from buffer_[block_] (bits at or past
  // end_ cleared); block_valid_ is false once the buffer changes.
  std::size_t block_ = 0;
  uint64_t block_bits_ = 0;
  bool block_valid_ = false;
  bool record_ascii_ = false;
  // File offsets: the bytes before ascii_checked_ were searched for a
  // non-ASCII byte, and the first one found there is at non_ascii_ (-1: none).
  int64_t ascii_checked_ = 0;
  int64_t non_ascii_ = -1;
};

}  // namespace ingestd::plugins::files
