#include "jsonl_blocks.hpp"

#include "open_file.hpp"

#include <ingestd/kit/typing/json_rows.hpp>
#include <ingestd/sdk/plugin.hpp>

#include <simdjson.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace ingestd::plugins::files {

using namespace ingestd::sdk;
namespace dom = simdjson::dom;

namespace {

constexpr std::size_t kPadding = simdjson::SIMDJSON_PADDING;

}  // namespace

bool blank_line(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

void ReadBuffer::reserve(std::size_t n, std::size_t keep) {
  if (n <= size) return;
  std::unique_ptr<char[]> grown(new char[n]);
  if (keep > 0) std::memcpy(grown.get(), data.get(), keep);
  data = std::move(grown);
  size = n;
}

bool LineBlock::next_line(std::size_t& pos, std::string_view& line) const {
  if (pos >= end) return false;
  const char* data = bytes.data.get();
  const void* nl = std::memchr(data + pos, '\n', end - pos);
  std::size_t stop = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - data) : end;
  const std::size_t start = pos;
  pos = nl ? stop + 1 : end;
  if (stop > start && data[stop - 1] == '\r') --stop;
  line = std::string_view(data + start, stop - start);
  return true;
}

void LineBlock::reuse() {
  path.clear();
  first_of_file = last_of_file = false;
  begin = end = 0;
  error = nullptr;
  typed_under.reset();
  untyped = 0;
  typed_lines = 0;
}

struct JsonlBlocks::Worker {
  dom::parser parser;
  kit::typing::JsonRowAppender appender;
  std::shared_ptr<const TypingColumns> under;
  kit::typing::ColumnSet columns;  // a copy of under->columns, as long as typing left it alone
  bool columns_touched = false;
};

unsigned JsonlBlocks::default_workers() { return std::clamp(std::thread::hardware_concurrency(), 1u, 4u); }

JsonlBlocks::JsonlBlocks(std::vector<std::string> paths, std::size_t max_line, const kit::typing::ColumnSet& columns,
                         int64_t lines_per_block, std::size_t first_block_bytes, unsigned workers)
    : paths_(std::move(paths)), max_line_(max_line), lines_per_block_(std::max<int64_t>(lines_per_block, 1)),
      blocks_ahead_(workers + 2), block_bytes_(first_block_bytes) {
  publish(columns);
  for (unsigned i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
}

JsonlBlocks::~JsonlBlocks() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  for (auto& t : threads_) t.join();
  if (fd_ >= 0) ::close(fd_);
}

void JsonlBlocks::publish(const kit::typing::ColumnSet& columns) {
  auto now = std::make_shared<TypingColumns>(TypingColumns{columns.unreported(), columns.schema()});
  std::lock_guard lock(mutex_);
  columns_ = std::move(now);
}

std::unique_ptr<LineBlock> JsonlBlocks::next() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return typed_.count(handed_out_) > 0 || (exhausted_ && handed_out_ == cut_); });
  auto it = typed_.find(handed_out_);
  if (it == typed_.end()) return nullptr;
  std::unique_ptr<LineBlock> block = std::move(it->second);
  typed_.erase(it);
  ++handed_out_;
  changed_.notify_all();
  return block;
}

void JsonlBlocks::recycle(std::unique_ptr<LineBlock> block) {
  std::lock_guard lock(mutex_);
  // As many as can be out at once: cut ahead, being typed, being read.
  if (spare_.size() < blocks_ahead_ + threads_.size() + 1) spare_.push_back(std::move(block));
}

void JsonlBlocks::work() {
  Worker worker;
  for (;;) {
    std::unique_ptr<LineBlock> block;
    uint64_t seq;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stop_ || exhausted_ || cut_ < handed_out_ + blocks_ahead_; });
      if (stop_ || exhausted_) return;
      if (spare_.empty()) {
        block = std::make_unique<LineBlock>();
      } else {
        block = std::move(spare_.back());
        spare_.pop_back();
        block->reuse();
      }
      if (!cut(*block)) {
        exhausted_ = true;
        changed_.notify_all();
        return;
      }
      seq = cut_++;
      block->typed_under = columns_;
    }
    type(*block, worker);
    std::lock_guard lock(mutex_);
    if (!block_sized_ && block->typed_lines >= 64 && block->untyped == block->end) {
      // Lines of the size these were: a few more than lines_per_block of them
      // per block, so that most blocks fill a batch alone and their rows are
      // not copied into one.
      const std::size_t line_bytes = (block->end - block->begin) / static_cast<std::size_t>(block->typed_lines) + 1;
      const auto lines = static_cast<std::size_t>(lines_per_block_) * 9 / 8;
      block_bytes_ = std::clamp(line_bytes * lines, kMinBlockBytes, kMaxBlockBytes);
      block_sized_ = true;
    }
    typed_[seq] = std::move(block);
    changed_.notify_all();
  }
}

// Reads on from the current file into a new buffer, up to its last line end:
// the rest starts the next block. At a file's end, the last line goes in
// whole. A line with no end in sight after max_line bytes goes in as it is
// (its reader fails on its length) and reading stops.
bool JsonlBlocks::cut(LineBlock& b) {
  if (file_ >= paths_.size()) return false;
  b.path = paths_[file_];
  try {
    b.first_of_file = fd_ < 0;
    if (fd_ < 0) {
      carry_.clear();
      fd_ = open_for_reading(paths_[file_]);
    }
    std::size_t end = carry_.size();
    std::size_t room = std::max(end * 2, end + block_bytes_);  // to fill, before the padding
    b.bytes.reserve(room + kPadding, 0);
    if (end > 0) std::memcpy(b.bytes.data.get(), carry_.data(), end);
    carry_.clear();
    std::size_t searched = 0;  // no line end before this
    for (;;) {
      if (end >= room) {
        room *= 2;
        b.bytes.reserve(room + kPadding, end);
      }
      ssize_t n;
      do {
        n = ::read(fd_, b.bytes.data.get() + end, room - end);
      } while (n < 0 && errno == EINTR);
      if (n < 0) throw io_error(b.path + ": " + std::strerror(errno), false);
      if (n == 0) {
        b.end = end;
        b.last_of_file = true;
        ::close(fd_);
        fd_ = -1;
        ++file_;
        break;
      }
      end += static_cast<std::size_t>(n);
      const char* data = b.bytes.data.get();
      const void* nl = memrchr(data + searched, '\n', end - searched);
      if (nl) {
        b.end = static_cast<std::size_t>(static_cast<const char*>(nl) - data) + 1;
        carry_.assign(data + b.end, data + end);
        break;
      }
      searched = end;
      if (end > max_line_) {  // one line, already too long
        b.end = end;
        file_ = paths_.size();
        break;
      }
    }
  } catch (...) {
    b.error = std::current_exception();
    file_ = paths_.size();
  }
  if (b.bytes.size > 0) std::memset(b.bytes.data.get() + b.end, 0, kPadding);  // read by simdjson, never used
  if (b.first_of_file && b.end >= 3 && std::memcmp(b.bytes.data.get(), "\xEF\xBB\xBF", 3) == 0) b.begin = 3;
  return true;
}

void JsonlBlocks::type(LineBlock& b, Worker& w) const {
  b.untyped = b.begin;
  try {
    if (w.under != b.typed_under || w.columns_touched) {
      w.under = b.typed_under;
      w.columns = w.under->columns;
      w.columns_touched = false;
    }
    if (b.rows && b.rows->schema() == w.under->schema) b.rows->truncate(0);
    else b.rows = std::make_unique<BatchBuilder>(w.under->schema);
    std::size_t pos = b.begin;
    std::string_view line;
    for (std::size_t start = pos; b.next_line(pos, line); start = pos) {
      if (!blank_line(line)) {
        dom::element doc;
        if (line.size() > max_line_ || w.parser.parse(line.data(), line.size(), false).get(doc) ||
            doc.type() != dom::element_type::OBJECT) {
          b.untyped = start;
          return;
        }
        if (w.appender.append(dom::object(doc), w.columns, *b.rows) != kit::typing::JsonRowAppender::Result::Appended) {
          w.columns_touched = true;
          b.untyped = start;
          return;
        }
      }
      ++b.typed_lines;
      b.untyped = pos;
    }
  } catch (...) {
    // Left to the owner, who meets the same trouble where it can say so.
    b.rows.reset();
    b.untyped = b.begin;
    b.typed_lines = 0;
    w.columns_touched = true;
  }
}

}  // namespace ingestd::plugins::files
