#include "partitioned_copy.hpp"

namespace ingestd::plugins::postgres {

namespace {
constexpr std::size_t kChunkBytes = 256 << 10;
constexpr std::size_t kChunksPerReader = 4;
}  // namespace

PartitionedCopy::PartitionedCopy(const ConnectOptions& connect, std::function<bool()> cancelled,
                                 const std::string& snapshot, const std::vector<std::string>& copies)
    : connect_(with_cancel(connect,
                           [this, cancelled = std::move(cancelled)] {
                             {
                               std::lock_guard lock(mutex_);
                               if (stop_) return true;
                             }
                             return cancelled && cancelled();
                           })),
      snapshot_(snapshot),
      max_chunks_(kChunksPerReader * copies.size()) {
  readers_left_ = copies.size();
  for (const auto& copy : copies) threads_.emplace_back([this, copy] { read(copy); });
}

PartitionedCopy::~PartitionedCopy() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  for (auto& t : threads_) t.join();
}

void PartitionedCopy::read(const std::string& copy) {
  try {
    Connection db(connect_);
    db.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    db.exec("SET TRANSACTION SNAPSHOT " + db.literal(snapshot_));
    db.copy_out_start(copy);
    std::string chunk;
    std::string_view row;
    auto hand_over = [&] {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stop_ || chunks_.size() < max_chunks_; });
      if (stop_) return false;
      chunks_.push_back(std::move(chunk));
      chunk.clear();
      changed_.notify_all();
      return true;
    };
    bool going = true;
    while (going && db.copy_out_row(row)) {
      chunk.append(row);
      chunk.push_back('\n');
      if (chunk.size() >= kChunkBytes) going = hand_over();
    }
    if (going && !chunk.empty()) going = hand_over();
    if (going) db.exec("COMMIT");
  } catch (...) {
    std::lock_guard lock(mutex_);
    if (!failure_) failure_ = std::current_exception();
  }
  std::lock_guard lock(mutex_);
  --readers_left_;
  changed_.notify_all();
}

bool PartitionedCopy::next(std::string_view& row) {
  if (at_ >= current_.size()) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return failure_ || !chunks_.empty() || readers_left_ == 0; });
    if (failure_) std::rethrow_exception(failure_);
    if (chunks_.empty()) return false;
    current_ = std::move(chunks_.front());
    chunks_.pop_front();
    at_ = 0;
    changed_.notify_all();
  }
  const std::size_t end = current_.find('\n', at_);  // COPY text escapes newlines inside values
  row = std::string_view(current_).substr(at_, end - at_);
  at_ = end + 1;
  return true;
}

std::vector<std::string> PartitionedCopy::page_ranges(int64_t pages, int partitions) {
  std::vector<std::string> out;
  for (int i = 0; i < partitions; ++i) {
    const int64_t from = pages * i / partitions, to = pages * (i + 1) / partitions;
    std::string range = "ctid >= '(" + std::to_string(from) + ",0)'::tid";
    // The last range has no end: pages added since the size was read hold
    // no row the snapshot sees, but the size is only what it was.
    if (i + 1 < partitions) range += " AND ctid < '(" + std::to_string(to) + ",0)'::tid";
    out.push_back(range);
  }
  return out;
}

}  // namespace ingestd::plugins::postgres
