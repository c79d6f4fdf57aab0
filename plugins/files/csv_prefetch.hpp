// A CSV file's records read on a thread of their own, a few thousand ahead of
// the caller: splitting records (the reader) and typing them (the caller)
// run at once, on two cores. Records come out in order, with their lines, and
// a read error comes out where it happened, after the records before it.
#pragma once

#include "csv_reader.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ingestd::plugins::files {

class CsvPrefetcher {
 public:
  // Takes the reader over (its header already read) and starts reading.
  explicit CsvPrefetcher(std::unique_ptr<CsvReader> reader);
  // Stops the reading thread and waits for it.
  ~CsvPrefetcher();
  CsvPrefetcher(const CsvPrefetcher&) = delete;
  CsvPrefetcher& operator=(const CsvPrefetcher&) = delete;

  // As CsvReader::next; the fields stay valid until the next call.
  bool next(std::vector<CsvField>& fields);
  int64_t line() const { return line_; }
  bool record_is_ascii() const { return ascii_; }
  const std::string& path() const { return path_; }

 private:
  struct Block {
    std::vector<CsvField> fields;  // of every record, one after another
    std::vector<std::size_t> ends;  // per record: where its fields end
    std::vector<int64_t> lines;
    std::vector<bool> ascii;
    std::vector<std::shared_ptr<std::vector<char>>> buffers;  // what the fields point into
    std::exception_ptr error;  // after the records
    bool last = false;
  };
  static constexpr std::size_t kRecordsPerBlock = 4096;
  static constexpr std::size_t kBlocksAhead = 4;

  void read();

  std::unique_ptr<CsvReader> reader_;
  const std::string path_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Block> ready_;
  bool stop_ = false;
  Block current_;
  std::size_t record_ = 0;  // the next record of current_
  int64_t line_ = 0;
  bool ascii_ = false;
  std::thread thread_;  // last: starts once the rest is made
};

}  // namespace ingestd::plugins::files
