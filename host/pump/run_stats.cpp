#include "pump/run_stats.hpp"

#include "config/location.hpp"
#include "loader/plugin_instance.hpp"
#include "state/state_store.hpp"

#include <algorithm>

namespace ingestd {

std::string status_text(StreamStatus s) {
  switch (s) {
    case StreamStatus::Pending: return "pending";
    case StreamStatus::Running: return "running";
    case StreamStatus::Completed: return "ok";
    case StreamStatus::Failed: return "failed";
    case StreamStatus::Stopped: return "stopped";
  }
  return "unknown";
}

Failure failure_of(const std::exception& e) {
  Failure f;
  f.message = e.what();
  if (const auto* pe = dynamic_cast<const sdk::Error*>(&e)) {
    f.config = pe->is_config();
    f.transient = pe->retry_class() == INGESTD_RETRY_TRANSIENT;
    f.retry_after_ms = pe->retry_after_ms();
  } else if (const auto* se = dynamic_cast<const StateStoreError*>(&e)) {
    f.transient = se->transient();
  } else if (dynamic_cast<const ConfigError*>(&e)) {
    f.config = true;
  }
  return f;
}

bool StreamOutcome::transient() const {
  if (!failed()) return false;
  bool any = false;
  auto all_transient = [&any](const std::optional<Failure>& f) {
    if (!f) return true;
    any = true;
    return f->transient;
  };
  if (!all_transient(stream_failure)) return false;
  for (const auto& f : lane_failures)
    if (!all_transient(f)) return false;
  return any;
}

int64_t StreamOutcome::retry_after_ms() const {
  int64_t after = stream_failure ? stream_failure->retry_after_ms : 0;
  for (const auto& f : lane_failures)
    if (f) after = std::max(after, f->retry_after_ms);
  return after;
}

std::string StreamOutcome::lane_error(std::size_t lane) const {
  return lane < lane_failures.size() && lane_failures[lane] ? lane_failures[lane]->message : std::string();
}

void StreamStats::set_outcome(StreamOutcome outcome) {
  std::lock_guard lock(mutex_);
  if (!outcome.saved) outcome.saved = std::move(outcome_.saved);
  outcome_ = std::move(outcome);
}

StreamOutcome StreamStats::outcome() const {
  std::lock_guard lock(mutex_);
  return outcome_;
}

static int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// A retried stream keeps the time of its first start.
void StreamStats::mark_started() {
  if (started_ns.load() == 0) started_ns = now_ns();
}
void StreamStats::mark_finished() { finished_ns = now_ns(); }

double StreamStats::seconds() const {
  int64_t start = started_ns.load();
  if (start == 0) return 0;
  int64_t end = finished_ns.load();
  if (end == 0) end = now_ns();
  return static_cast<double>(end - start) / 1e9;
}

void StreamStats::set_columns(std::string json) {
  std::lock_guard lock(mutex_);
  columns_ = std::move(json);
}

std::string StreamStats::columns() const {
  std::lock_guard lock(mutex_);
  return columns_;
}

}  // namespace ingestd
