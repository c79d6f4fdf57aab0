#include "pump/run_stats.hpp"

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

}  // namespace ingestd
