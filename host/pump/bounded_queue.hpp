// A blocking queue bounded both in items and in bytes: the producer waits
// while either limit is reached, so a slow consumer holds its producer back
// instead of letting memory grow.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

namespace ingestd {

template <class T>
class BoundedQueue {
 public:
  BoundedQueue(int64_t max_items, int64_t max_bytes) : max_items_(max_items), max_bytes_(max_bytes) {}

  // Blocks while the queue is full. An item larger than max_bytes is still
  // admitted once the queue is empty, so oversized batches pass one at a time.
  // Returns false (dropping the item) once the queue is aborted.
  bool push(T item, int64_t bytes) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] {
      return aborted_ || items_.empty() ||
             (static_cast<int64_t>(items_.size()) < max_items_ && bytes_ + bytes <= max_bytes_);
    });
    if (aborted_) return false;
    items_.emplace_back(std::move(item), bytes);
    bytes_ += bytes;
    if (static_cast<int64_t>(items_.size()) > peak_items_) peak_items_ = static_cast<int64_t>(items_.size());
    if (bytes_ > peak_bytes_) peak_bytes_ = bytes_;
    not_empty_.notify_one();
    return true;
  }

  // Blocks until an item arrives; nullopt once the queue is closed and
  // drained, or aborted.
  std::optional<T> pop() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return aborted_ || closed_ || !items_.empty(); });
    if (aborted_ || items_.empty()) return std::nullopt;
    auto [item, bytes] = std::move(items_.front());
    items_.pop_front();
    bytes_ -= bytes;
    not_full_.notify_one();
    return std::move(item);
  }

  // No more items will come; consumers drain what is queued.
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    not_empty_.notify_all();
  }

  // Stop now: producers and consumers return at once; queued items are dropped.
  void abort() {
    std::lock_guard lock(mutex_);
    aborted_ = true;
    items_.clear();
    bytes_ = 0;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

  int64_t size() const {
    std::lock_guard lock(mutex_);
    return static_cast<int64_t>(items_.size());
  }
  int64_t bytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
  }
  int64_t peak_items() const {
    std::lock_guard lock(mutex_);
    return peak_items_;
  }
  int64_t peak_bytes() const {
    std::lock_guard lock(mutex_);
    return peak_bytes_;
  }

 private:
  const int64_t max_items_;
  const int64_t max_bytes_;
  mutable std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  std::deque<std::pair<T, int64_t>> items_;
  int64_t bytes_ = 0;
  int64_t peak_items_ = 0;
  int64_t peak_bytes_ = 0;
  bool closed_ = false;
  bool aborted_ = false;
};

// Limits how many holders run at once (streams open on one plugin instance).
class Semaphore {
 public:
  explicit Semaphore(int64_t permits) : permits_(permits) {}
  void acquire() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return permits_ > 0; });
    --permits_;
  }
  void release() {
    std::lock_guard lock(mutex_);
    ++permits_;
    cv_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int64_t permits_;
};

}  // namespace ingestd
