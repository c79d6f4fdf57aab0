#include "report/progress.hpp"

#include "util/strings.hpp"

#include <cstdio>
#include <string>

namespace ingestd {

ProgressDisplay::ProgressDisplay(RunStats& run, bool enabled) : run_(run) {
  if (!enabled) return;
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return done_; })) draw();
    // Erase the block so the summary starts on a clean screen.
    if (lines_ > 0) std::fprintf(stderr, "\033[%dA\033[J", lines_);
    std::fflush(stderr);
  });
}

ProgressDisplay::~ProgressDisplay() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void ProgressDisplay::draw() {
  std::string block;
  if (lines_ > 0) block += "\033[" + std::to_string(lines_) + "A";
  int lines = 0;
  for (const auto& s : run_.streams) {
    StreamStatus st = s->status.load();
    if (st == StreamStatus::Pending) continue;
    double secs = s->seconds();
    int64_t rows = s->rows.load();
    char rate[48];
    std::snprintf(rate, sizeof rate, "%.0f", secs > 0 ? static_cast<double>(rows) / secs : 0.0);
    block += "\033[2K" + s->flow + "/" + s->stream + "  " + status_text(st) + "  " + human_count(rows) +
             " rows  " + human_bytes(static_cast<double>(s->bytes.load())) + "  " +
             human_count(std::atoll(rate)) + " rows/s  " + human_seconds(secs) + "\n";
    ++lines;
  }
  // Clear lines left over from a longer previous block.
  if (lines < lines_) block += "\033[J";
  lines_ = lines;
  std::fputs(block.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace ingestd
