#include "report/run_report.hpp"

#include <ingestd/sdk/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace ingestd {

void write_run_report(RunStats& run, const RunRecord& record, const std::string& path) {
  json::Object root;
  root.set("run_id", run.run_id);
  root.set("flow_file", record.flow_file);
  root.set("status", record.status);
  root.set("started_at", record.started_at);
  root.set("ended_at", record.ended_at);
  json::Array errors;
  for (const auto& e : run.flow_errors) errors.push_back(json::Value(e.message));
  root.set("errors", json::Value(std::move(errors)));
  json::Array streams;
  for (const auto& s : run.streams) {
    const StreamOutcome outcome = s->outcome();
    json::Object o;
    o.set("flow", s->flow);
    o.set("stream", s->stream);
    o.set("status", status_text(s->status.load()));
    o.set("rows", json::Value(s->rows.load()));
    o.set("bytes", json::Value(s->bytes.load()));
    o.set("batches", json::Value(s->batches.load()));
    o.set("seconds", json::Value(s->seconds()));
    o.set("retries", json::Value(s->retries.load()));
    o.set("error", outcome.error().empty() ? json::Value() : json::Value(outcome.error()));
    const auto& saved = outcome.saved;
    o.set("checkpoint_sequence", saved ? json::Value(static_cast<int64_t>(saved->sequence)) : json::Value());
    // The checkpoint this run saved last (null: none), where the next run resumes.
    o.set("checkpoint", saved ? json::Value(saved->data) : json::Value());
    o.set("checkpoint_generation", saved ? json::Value(saved->generation) : json::Value());
    json::Object counters;
    for (const auto& [name, value] : s->counters->snapshot()) counters.set(name, json::Value(value));
    o.set("counters", json::Value(std::move(counters)));
    json::Array lanes;
    for (std::size_t i = 0; i < s->lanes.size(); ++i) {
      const LaneStats* l = s->lanes[i].get();
      const std::string lane_error = outcome.lane_error(i);
      json::Object lo;
      lo.set("destination", l->destination);
      lo.set("rows", json::Value(l->rows.load()));
      lo.set("bytes", json::Value(l->bytes.load()));
      lo.set("batches", json::Value(l->batches.load()));
      lo.set("committed_sequence", json::Value(static_cast<int64_t>(l->committed_sequence.load())));
      lo.set("queue_peak_batches", json::Value(l->queue_peak_batches));
      lo.set("queue_peak_bytes", json::Value(l->queue_peak_bytes));
      json::Object lane_counters;
      for (const auto& [name, value] : l->counters->snapshot()) lane_counters.set(name, json::Value(value));
      lo.set("counters", json::Value(std::move(lane_counters)));
      lo.set("error", lane_error.empty() ? json::Value() : json::Value(lane_error));
      lanes.push_back(json::Value(std::move(lo)));
    }
    o.set("destinations", json::Value(std::move(lanes)));
    streams.push_back(json::Value(std::move(o)));
  }
  root.set("streams", json::Value(std::move(streams)));
  if (path == "-") {
    std::printf("%s\n", json::Value(std::move(root)).dump().c_str());
    std::fflush(stdout);
    return;
  }
  std::ofstream f(path, std::ios::trunc);
  if (!f) throw std::runtime_error(path + ": " + std::strerror(errno));
  f << json::Value(std::move(root)).dump() << "\n";
  if (!f) throw std::runtime_error(path + ": write failed");
}

}  // namespace ingestd
