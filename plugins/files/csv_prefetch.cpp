#include "csv_prefetch.hpp"

namespace ingestd::plugins::files {

CsvPrefetcher::CsvPrefetcher(std::unique_ptr<CsvReader> reader)
    : reader_(std::move(reader)), path_(reader_->path()), thread_([this] { read(); }) {}

CsvPrefetcher::~CsvPrefetcher() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void CsvPrefetcher::read() {
  reader_->keep_buffers();
  std::vector<CsvField> fields;
  std::size_t fields_per_block = 0;  // of the block before: room made at once
  for (bool last = false; !last;) {
    Block b;
    b.fields.reserve(fields_per_block);
    b.ends.reserve(kRecordsPerBlock);
    b.lines.reserve(kRecordsPerBlock);
    b.ascii.reserve(kRecordsPerBlock);
    b.buffers.push_back(reader_->current_buffer());
    try {
      while (b.ends.size() < kRecordsPerBlock) {
        if (!reader_->next(fields)) {
          b.last = true;
          break;
        }
        // A refill moved the reader to a new buffer: this record is in it.
        if (reader_->current_buffer() != b.buffers.back()) b.buffers.push_back(reader_->current_buffer());
        b.fields.insert(b.fields.end(), fields.begin(), fields.end());
        b.ends.push_back(b.fields.size());
        b.lines.push_back(reader_->line());
        b.ascii.push_back(reader_->record_is_ascii());
      }
    } catch (...) {
      b.error = std::current_exception();
      b.last = true;
    }
    last = b.last;
    fields_per_block = b.fields.size();
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return stop_ || ready_.size() < kBlocksAhead; });
    if (stop_) return;
    ready_.push_back(std::move(b));
    changed_.notify_all();
  }
}

bool CsvPrefetcher::next(std::vector<CsvField>& fields) {
  while (record_ >= current_.ends.size()) {
    if (current_.error) std::rethrow_exception(current_.error);
    if (current_.last) return false;
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !ready_.empty(); });
    current_ = std::move(ready_.front());
    ready_.pop_front();
    record_ = 0;
    changed_.notify_all();
  }
  const std::size_t begin = record_ == 0 ? 0 : current_.ends[record_ - 1];
  fields.assign(current_.fields.begin() + static_cast<std::ptrdiff_t>(begin),
                current_.fields.begin() + static_cast<std::ptrdiff_t>(current_.ends[record_]));
  line_ = current_.lines[record_];
  ascii_ = current_.ascii[record_];
  ++record_;
  return true;
}

}  // namespace ingestd::plugins::files
