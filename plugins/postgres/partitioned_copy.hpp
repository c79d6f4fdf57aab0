// A table snapshot read by several connections at once: each runs a COPY of
// one range of the table's pages (a ctid range), all in one exported
// snapshot, so that together they read exactly the table as of one moment.
// Rows of every range come out through one bounded queue, in no particular
// order; the caller parses them as it would one COPY's.
#pragma once

#include "pg_client.hpp"

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ingestd::plugins::postgres {

class PartitionedCopy {
 public:
  // Starts one connection per COPY statement, each importing `snapshot`.
  // `cancelled` stops them (checked while they wait on the server).
  PartitionedCopy(const ConnectOptions& connect, std::function<bool()> cancelled, const std::string& snapshot,
                  const std::vector<std::string>& copies);
  // Stops the readers still reading and waits for them.
  ~PartitionedCopy();
  PartitionedCopy(const PartitionedCopy&) = delete;
  PartitionedCopy& operator=(const PartitionedCopy&) = delete;

  // The next row without its line end, valid until the next call; false
  // once every range is read. Rethrows the first reader's failure.
  bool next(std::string_view& row);

  // The page ranges for `partitions` readers of a table of `pages` pages:
  // "ctid >= '(a,0)' AND ctid < '(b,0)'" conditions, the last one open-ended.
  static std::vector<std::string> page_ranges(int64_t pages, int partitions);

 private:
  void read(const std::string& copy);

  ConnectOptions connect_;
  std::string snapshot_;
  const std::size_t max_chunks_;  // queued at most: memory stays bounded
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> chunks_;  // rows, each ending in '\n'
  std::size_t readers_left_ = 0;
  bool stop_ = false;
  std::exception_ptr failure_;
  std::vector<std::thread> threads_;
  std::string current_;
  std::size_t at_ = 0;  // next row's start in current_
};

}  // namespace ingestd::plugins::postgres
