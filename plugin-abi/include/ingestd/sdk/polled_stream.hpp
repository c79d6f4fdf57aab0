// A source stream over a log or queue that is polled for records (a Kafka
// topic, a Redis stream): the records in hand go out as a batch once there
// are batch_rows of them or the oldest has waited max_batch_age; when the
// run stops, and under `ingestd run` once the source has caught up, what is
// in hand goes out as a last batch and the stream ends.
#pragma once

#include <ingestd/sdk/plugin.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>

namespace ingestd::sdk {

class PolledStream : public SourceStream {
 public:
  PolledStream(const Host& host, const Instance& owner, int64_t batch_rows, std::chrono::milliseconds max_batch_age)
      : host_(host), owner_(owner), batch_rows_(std::max<int64_t>(1, batch_rows)), max_batch_age_(max_batch_age) {}

  bool next(Batch& out) final {
    for (;;) {
      if (!ready_.empty()) {
        out = std::move(ready_.front());
        ready_.pop_front();
        return true;
      }
      if (ended_) return false;
      if (owner_.cancelled() || host_.cancelled()) {
        end();
        continue;
      }
      const std::size_t before = held();
      if (before > 0 && (static_cast<int64_t>(before) >= batch_rows_ || Clock::now() - first_held_at_ >= max_batch_age_)) {
        send_held();
        continue;
      }
      auto wait = kIdleWait;
      if (before > 0)
        wait = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(max_batch_age_ - (Clock::now() - first_held_at_)),
                          std::chrono::milliseconds(1), kIdleWait);
      const bool more = poll(wait);
      if (before == 0 && held() > 0) first_held_at_ = Clock::now();
      if (!more) end();
    }
  }

 protected:
  using Clock = std::chrono::steady_clock;

  // Reads what the source has, waiting at most `wait` for it. False only when
  // the stream should end once what is in hand is sent (under `ingestd run`:
  // the source has caught up).
  virtual bool poll(std::chrono::milliseconds wait) = 0;
  // Records in hand, not yet in a batch.
  virtual std::size_t held() const = 0;
  // A batch of the records in hand (which are then no longer held), or
  // nullopt when there is nothing to send.
  virtual std::optional<Batch> take_batch() = 0;

  // Sends what is in hand now (before giving up a partition, say).
  void send_held() {
    if (auto batch = take_batch()) ready_.push_back(std::move(*batch));
  }

  Host host_;
  const Instance& owner_;

 private:
  static constexpr std::chrono::milliseconds kIdleWait{100};

  void end() {
    send_held();
    ended_ = true;
  }

  const int64_t batch_rows_;
  const std::chrono::milliseconds max_batch_age_;
  std::deque<Batch> ready_;
  Clock::time_point first_held_at_{};
  bool ended_ = false;
};

}  // namespace ingestd::sdk
