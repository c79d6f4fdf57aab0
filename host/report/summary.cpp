#include "report/summary.hpp"

#include "util/strings.hpp"

#include <string>
#include <vector>

namespace ingestd {

namespace {

void print_table(const std::vector<std::vector<std::string>>& rows, std::FILE* out) {
  std::vector<std::size_t> width;
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      // Text columns align left, numbers right.
      bool numeric = i >= 4;
      std::string pad(width[i] - r[i].size(), ' ');
      line += numeric ? pad + r[i] : r[i] + pad;
      if (i + 1 < r.size()) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::fprintf(out, "%s\n", line.c_str());
  }
}

// What a stream stopped before its end leaves, and what the next run does.
std::string stopped_note(const StreamStats& s, const StreamOutcome& outcome) {
  std::string note = "stopped before the end of the stream; ";
  if (s.replace) return note + "the table keeps its previous contents, and the next run reads the stream again";
  note += "what was read was committed";
  if (s.snapshot) return note + ", and the next run reads the whole stream again (a snapshot has no resume point)";
  return note + (outcome.saved ? ", and the next run resumes from the last saved checkpoint"
                                    : "; no checkpoint was saved, so the next run starts where this one did");
}

}  // namespace

void print_summary(RunStats& run, std::FILE* out) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"FLOW", "STREAM", "DESTINATION", "STATUS", "ROWS", "BYTES", "SECONDS", "ROWS/S"});
  std::vector<std::string> notes;
  for (const auto& s : run.streams) {
    const StreamOutcome outcome = s->outcome();
    double secs = s->seconds();
    std::string status = status_text(s->status.load());
    for (std::size_t i = 0; i < s->lanes.size(); ++i) {
      const LaneStats& lane = *s->lanes[i];
      const std::string lane_error = outcome.lane_error(i);
      int64_t r = lane.rows.load();
      char rate[32];
      std::snprintf(rate, sizeof rate, "%.0f", secs > 0 ? static_cast<double>(r) / secs : 0.0);
      char sec[32];
      std::snprintf(sec, sizeof sec, "%.2f", secs);
      rows.push_back({s->flow, s->stream, lane.destination, lane_error.empty() ? status : "failed", human_count(r),
                      human_bytes(static_cast<double>(lane.bytes.load())), sec, human_count(std::atoll(rate))});
      for (const auto& [name, value] : lane.counters->snapshot())
        if (value) notes.push_back(s->flow + "/" + s->stream + " -> " + lane.destination + ": " + name + " = " + human_count(value));
      if (!lane_error.empty()) notes.push_back(s->flow + "/" + s->stream + " -> " + lane.destination + ": " + lane_error);
    }
    if (!outcome.error().empty()) notes.push_back(s->flow + "/" + s->stream + ": " + outcome.error());
    if (s->status.load() == StreamStatus::Stopped)
      notes.push_back(s->flow + "/" + s->stream + ": " + stopped_note(*s, outcome));
    if (outcome.stopped_on_request)
      notes.push_back(s->flow + "/" + s->stream + ": stopped on request; everything it received was committed");
    if (s->retries) notes.push_back(s->flow + "/" + s->stream + ": retried " + std::to_string(s->retries.load()) + " time(s)");
    for (const auto& [name, value] : s->counters->snapshot())
      if (value) notes.push_back(s->flow + "/" + s->stream + ": " + name + " = " + human_count(value));
  }
  std::fprintf(out, "\n");
  print_table(rows, out);
  for (const auto& e : run.flow_errors) std::fprintf(out, "error: %s\n", e.message.c_str());
  for (const auto& n : notes) std::fprintf(out, "%s\n", n.c_str());
  std::fflush(out);
}

}  // namespace ingestd
