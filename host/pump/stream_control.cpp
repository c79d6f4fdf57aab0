#include "pump/stream_control.hpp"

namespace ingestd {

StreamControl::StreamControl(const StreamStats& stats, const std::atomic<bool>* run_cancelled)
    : run_cancelled_(run_cancelled) {
  stream_.component = stats.flow + "/" + stats.stream;
  stream_.flow = stats.flow;
  stream_.stream = stats.stream;
  stream_.parent_cancelled = run_cancelled;
  stream_.counters = stats.counters;
  // Tables do not stop with the run: they commit what the source delivered.
  for (const auto& lane : stats.lanes) {
    auto& t = *tables_.emplace_back(std::make_unique<ingestd_host_context>());
    t.component = stream_.component + " -> " + lane->destination;
    t.flow = stats.flow;
    t.stream = stats.stream;
    t.destination = lane->destination;
    t.counters = lane->counters;
  }
}

void StreamControl::abort() {
  aborted_ = true;
  stream_.cancelled = true;
  for (auto& t : tables_) t->cancelled = true;
}

}  // namespace ingestd
