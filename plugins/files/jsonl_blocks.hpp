// A JSON Lines stream's files cut into blocks of whole lines, each parsed and
// typed on one of a few worker threads under the columns of the moment, and
// handed out in file order. Parsing and typing are nine tenths of reading
// JSON Lines; one thread did both at a third of the speed simdjson parses.
//
// A worker types a block until a line needs its owner: one that does not
// parse, is not an object, is longer than max_record_bytes, adds a key,
// widens a column or breaks a declared type. The block then says where the
// worker stopped, and the owner (the stream's thread, which alone changes the
// columns, writes dead letters and names lines) takes it from there. Rows
// typed under columns the owner has since changed are typed again by it.
#pragma once

#include <ingestd/kit/typing/columns.hpp>

#include <ingestd/sdk/builder.hpp>

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ingestd::plugins::files {

// The columns workers type under, with their schema.
struct TypingColumns {
  kit::typing::ColumnSet columns;
  ingestd::sdk::Schema schema;
};

// Bytes read, not zeroed first: a block's buffer is filled by read().
struct ReadBuffer {
  std::unique_ptr<char[]> data;
  std::size_t size = 0;
  // At least `n` bytes, the first `keep` of them kept.
  void reserve(std::size_t n, std::size_t keep);
};

struct LineBlock {
  std::string path;
  bool first_of_file = false;
  bool last_of_file = false;
  ReadBuffer bytes;  // with padding for simdjson after `end`
  std::size_t begin = 0, end = 0;  // whole lines (a file's byte order mark left out)
  std::exception_ptr error;  // reading failed after these lines

  // What a worker made of it: the rows of the lines before `untyped`, typed
  // under `typed_under`, and how many lines (blank ones too) those were.
  std::shared_ptr<const TypingColumns> typed_under;
  std::unique_ptr<ingestd::sdk::BatchBuilder> rows;
  std::size_t untyped = 0;
  int64_t typed_lines = 0;

  // The line at `pos` (without its line end), moving `pos` past it; false
  // at the end of the block.
  bool next_line(std::size_t& pos, std::string_view& line) const;
  // Empty again, keeping its buffers.
  void reuse();
};

bool blank_line(std::string_view line);

class JsonlBlocks {
 public:
  // Starts reading and typing `paths` in order, under `columns`, in blocks
  // of about `lines_per_block` lines (the first of `first_block_bytes`; the
  // rest sized by the lines typed so far).
  JsonlBlocks(std::vector<std::string> paths, std::size_t max_line, const kit::typing::ColumnSet& columns,
              int64_t lines_per_block, std::size_t first_block_bytes = kFirstBlockBytes,
              unsigned workers = default_workers());
  // Stops the workers and waits for them.
  ~JsonlBlocks();
  JsonlBlocks(const JsonlBlocks&) = delete;
  JsonlBlocks& operator=(const JsonlBlocks&) = delete;

  static constexpr std::size_t kFirstBlockBytes = std::size_t{1} << 20;
  static constexpr std::size_t kMinBlockBytes = std::size_t{64} << 10;
  static constexpr std::size_t kMaxBlockBytes = std::size_t{16} << 20;
  static unsigned default_workers();

  // The next block in file order, once typed; nullptr after the last file.
  std::unique_ptr<LineBlock> next();
  // A block handed out and done with: its buffers serve again (a fresh
  // megabyte per block cost more in page faults than its parse).
  void recycle(std::unique_ptr<LineBlock> block);
  // The columns changed: blocks started from now on are typed under these.
  void publish(const kit::typing::ColumnSet& columns);

 private:
  struct Worker;
  void work();
  bool cut(LineBlock& block);  // under mutex_
  void type(LineBlock& block, Worker& worker) const;

  const std::vector<std::string> paths_;
  const std::size_t max_line_;
  const int64_t lines_per_block_;
  const std::size_t blocks_ahead_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::shared_ptr<const TypingColumns> columns_;
  std::size_t block_bytes_;  // for the next block
  bool block_sized_ = false;  // by a typed block
  // Reading, in file order.
  std::size_t file_ = 0;
  int fd_ = -1;
  std::vector<char> carry_;  // the start of a line the last block did not hold
  bool exhausted_ = false;  // every block is cut
  uint64_t cut_ = 0;  // blocks cut
  uint64_t handed_out_ = 0;
  std::map<uint64_t, std::unique_ptr<LineBlock>> typed_;
  std::vector<std::unique_ptr<LineBlock>> spare_;
  bool stop_ = false;
  std::vector<std::thread> threads_;  // last: start once the rest is made
};

}  // namespace ingestd::plugins::files
