#include "serve/metrics.hpp"

#include "pump/run_stats.hpp"
#include "state/state_store.hpp"

#include <ingestd/sdk/json.hpp>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <sstream>
#include <utility>

namespace ingestd {

namespace {

const double kDurationBounds[] = {1, 5, 15, 60, 300, 900, 3600, 14400};

struct FamilyInfo {
  const char* name;
  const char* help;
  prometheus::MetricType type;
};

// Every family ingestd serve exposes, in order; plugin counters follow.
const FamilyInfo kFamilies[] = {
    {"ingestd_rows_read_total", "Rows read from a source stream.", prometheus::MetricType::Counter},
    {"ingestd_bytes_read_total", "Bytes of Arrow data read from a source stream.", prometheus::MetricType::Counter},
    {"ingestd_rows_written_total", "Rows a destination table received.", prometheus::MetricType::Counter},
    {"ingestd_rows_rejected_total", "Malformed rows a source skipped to its dead-letter file.",
     prometheus::MetricType::Counter},
    {"ingestd_errors_total", "Failures of a stream, by kind (transient, config, permanent); retried ones included.",
     prometheus::MetricType::Counter},
    {"ingestd_runs_total", "Runs of a flow that ended, by status (ok, failed, stopped).",
     prometheus::MetricType::Counter},
    {"ingestd_runs_skipped_total",
     "Runs of a flow that were due but not started (overlap: the last one still ran; busy: another process ran it).",
     prometheus::MetricType::Counter},
    {"ingestd_run_duration_seconds", "How long runs of a flow took.", prometheus::MetricType::Histogram},
    {"ingestd_flow_last_success_timestamp_seconds", "When the last successful run of a flow ended (Unix time).",
     prometheus::MetricType::Gauge},
    {"ingestd_flow_running", "1 while a run of the flow is going on.", prometheus::MetricType::Gauge},
    {"ingestd_queue_batches", "Batches waiting in a flow's queues to a destination.", prometheus::MetricType::Gauge},
    {"ingestd_queue_bytes", "Bytes waiting in a flow's queues to a destination.", prometheus::MetricType::Gauge},
    {"ingestd_cdc_lag_bytes",
     "Bytes of the source's log between its newest position and the one a change stream's destinations saved.",
     prometheus::MetricType::Gauge},
    {"ingestd_reloads_total", "Reloads of the flow file, by result (ok, failed).", prometheus::MetricType::Counter},
    {"ingestd_flow_stale", "1 when a flow with freshness had no new data for longer than it.",
     prometheus::MetricType::Gauge},
    {"ingestd_flow_freshness_seconds", "Seconds since a flow's last new data (its last successful run or commit).",
     prometheus::MetricType::Gauge},
    {"ingestd_volume_anomalies_total", "Runs whose rows for a stream were far from its history.",
     prometheus::MetricType::Counter},
    {"ingestd_schema_drifts_total", "Runs whose stream's columns changed at the source.", prometheus::MetricType::Counter},
    {"ingestd_alerts_total", "Alerts to each sink, by event and result (sent, failed, dropped).",
     prometheus::MetricType::Counter},
    {"ingestd_cluster_units_owned", "Units (flow, stream) this cluster worker holds now.", prometheus::MetricType::Gauge},
    {"ingestd_cluster_workers", "Live workers of the pool, as this worker's last heartbeat saw them.",
     prometheus::MetricType::Gauge},
    {"ingestd_cluster_lease_lost_total", "Units this worker lost to another while it ran them (it stopped them).",
     prometheus::MetricType::Counter},
    {"ingestd_cluster_units_run_total", "Runs of units this worker finished.", prometheus::MetricType::Counter},
    {"ingestd_cluster_queries_total", "Statements this worker sent to coordinate the pool (claims, renewals, heartbeats).",
     prometheus::MetricType::Counter},
};

// A plugin's counter name as a metric name: ingestd_plugin_<name>_total.
std::string plugin_family(const std::string& counter) {
  std::string name = "ingestd_plugin_";
  for (char c : counter) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (name.size() < 6 || name.compare(name.size() - 6, 6, "_total") != 0) name += "_total";
  return name;
}

std::string failure_kind(const Failure& f) { return f.config ? "config" : f.transient ? "transient" : "permanent"; }

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

void ServeMetrics::add_stream_figures(const RunStats& run, std::map<std::string, Series>& into) {
  for (const auto& s : run.streams) {
    const Labels stream_labels = {{"flow", s->flow}, {"stream", s->stream}};
    into["ingestd_rows_read_total"][stream_labels] += static_cast<double>(s->rows.load());
    into["ingestd_bytes_read_total"][stream_labels] += static_cast<double>(s->bytes.load());
    for (const auto& [name, value] : s->counters->snapshot()) {
      if (name == "rows_rejected") into["ingestd_rows_rejected_total"][stream_labels] += static_cast<double>(value);
      into[plugin_family(name)][{{"destination", ""}, {"flow", s->flow}, {"stream", s->stream}}] +=
          static_cast<double>(value);
    }
    for (const auto& lane : s->lanes) {
      into["ingestd_rows_written_total"][{{"destination", lane->destination}, {"flow", s->flow}, {"stream", s->stream}}] +=
          static_cast<double>(lane->rows.load());
      for (const auto& [name, value] : lane->counters->snapshot())
        into[plugin_family(name)][{{"destination", lane->destination}, {"flow", s->flow}, {"stream", s->stream}}] +=
            static_cast<double>(value);
    }
  }
}

void ServeMetrics::started(const RunStats& run) {
  std::lock_guard lock(mutex_);
  live_.push_back(&run);
}

void ServeMetrics::finished(const RunStats& run, const RunRecord& record) {
  std::lock_guard lock(mutex_);
  live_.erase(std::remove(live_.begin(), live_.end(), &run), live_.end());
  add_stream_figures(run, totals_);
  std::map<std::pair<std::string, std::string>, bool> said;  // a stream's flags once, not once per destination
  for (const RunStreamRecord& s : record.streams) {
    if (std::exchange(said[{s.flow, s.stream}], true)) continue;
    try {
      const json::Value flags = json::Value::parse(s.flags.empty() ? "[]" : s.flags);
      for (const json::Value& f : flags.as_array()) {
        const std::string family =
            f["kind"].as_string() == "volume" ? "ingestd_volume_anomalies_total" : "ingestd_schema_drifts_total";
        totals_[family][{{"flow", s.flow}, {"stream", s.stream}}] += 1;
      }
    } catch (const std::exception&) {
    }
  }
  Series& errors = totals_["ingestd_errors_total"];
  for (const auto& s : run.streams) {
    auto count = [&](const std::string& kind, double n) {
      if (n > 0) errors[{{"flow", s->flow}, {"kind", kind}, {"stream", s->stream}}] += n;
    };
    count("transient", s->retries.load());  // each retry followed a transient failure
    const StreamOutcome outcome = s->outcome();
    if (outcome.stream_failure) count(failure_kind(*outcome.stream_failure), 1);
    for (const auto& lane : outcome.lane_failures)
      if (lane) count(failure_kind(*lane), 1);
  }
  for (const auto& e : run.flow_errors)
    errors[{{"flow", e.flow}, {"kind", e.config ? "config" : "permanent"}, {"stream", ""}}] += 1;
}

void ServeMetrics::run_ended(const std::string& flow, const std::string& status, double seconds) {
  std::lock_guard lock(mutex_);
  totals_["ingestd_runs_total"][{{"flow", flow}, {"status", status}}] += 1;
  DurationHistogram& h = durations_[flow];
  h.buckets.resize(std::size(kDurationBounds));
  for (std::size_t i = 0; i < std::size(kDurationBounds); ++i)
    if (seconds <= kDurationBounds[i]) ++h.buckets[i];
  ++h.count;
  h.sum += seconds;
  if (status == "ok") last_success_[flow] = unix_now();
}

void ServeMetrics::run_skipped(const std::string& flow, const std::string& reason) {
  std::lock_guard lock(mutex_);
  totals_["ingestd_runs_skipped_total"][{{"flow", flow}, {"reason", reason}}] += 1;
}

void ServeMetrics::freshness(const std::string& flow, std::optional<double> age_seconds, bool stale) {
  std::lock_guard lock(mutex_);
  totals_["ingestd_flow_stale"][{{"flow", flow}}] = stale ? 1 : 0;
  if (age_seconds) totals_["ingestd_flow_freshness_seconds"][{{"flow", flow}}] = *age_seconds;
}

void ServeMetrics::alert_delivered(const std::string& sink, const std::string& event, const std::string& result) {
  std::lock_guard lock(mutex_);
  totals_["ingestd_alerts_total"][{{"alert", sink}, {"event", event}, {"result", result}}] += 1;
}

void ServeMetrics::reloaded(bool ok) {
  std::lock_guard lock(mutex_);
  totals_["ingestd_reloads_total"][{{"result", ok ? "ok" : "failed"}}] += 1;
}

std::vector<ServeMetrics::LiveStream> ServeMetrics::live_streams(const std::string& flow) const {
  std::vector<LiveStream> out;
  std::lock_guard lock(mutex_);
  for (const RunStats* run : live_)
    for (const auto& s : run->streams)
      if (s->flow == flow) out.push_back({s->stream, s->rows.load(), s->counters->gauges(), s->counters->texts()});
  return out;
}

void ServeMetrics::cluster(const ClusterFigures& figures) {
  std::lock_guard lock(mutex_);
  cluster_ = figures;
}

std::string ServeMetrics::exposition() const {
  std::map<std::string, Series> values;
  std::map<std::string, DurationHistogram> durations;
  std::map<std::string, double> last_success;
  std::optional<ClusterFigures> cluster;
  {
    std::lock_guard lock(mutex_);
    values = totals_;
    durations = durations_;
    last_success = last_success_;
    cluster = cluster_;
    for (const RunStats* run : live_) {
      add_stream_figures(*run, values);
      for (const auto& s : run->streams) {
        values["ingestd_flow_running"][{{"flow", s->flow}}] = 1;
        for (const auto& [name, value] : s->counters->gauges())
          if (name == INGESTD_GAUGE_CDC_LAG_BYTES) values["ingestd_cdc_lag_bytes"][{{"flow", s->flow}, {"stream", s->stream}}] = value;
        for (const auto& lane : s->lanes) {
          const Labels labels = {{"destination", lane->destination}, {"flow", s->flow}};
          values["ingestd_queue_batches"][labels] += static_cast<double>(lane->queued_batches.load());
          values["ingestd_queue_bytes"][labels] += static_cast<double>(lane->queued_bytes.load());
        }
      }
    }
  }
  if (cluster) {
    values["ingestd_cluster_units_owned"][{}] = static_cast<double>(cluster->units_owned);
    values["ingestd_cluster_workers"][{}] = static_cast<double>(cluster->live_workers);
    values["ingestd_cluster_lease_lost_total"][{}] = static_cast<double>(cluster->lease_lost);
    values["ingestd_cluster_units_run_total"][{}] = static_cast<double>(cluster->units_run);
    values["ingestd_cluster_queries_total"][{}] = static_cast<double>(cluster->queries);
  }
  for (const auto& [flow, seconds] : last_success)
    values["ingestd_flow_last_success_timestamp_seconds"][{{"flow", flow}}] = seconds;

  auto metric_of = [](const Labels& labels) {
    prometheus::ClientMetric m;
    for (const auto& [name, value] : labels) m.label.push_back({name, value});
    return m;
  };
  std::vector<prometheus::MetricFamily> families;
  auto family = [&](const std::string& name, const std::string& help, prometheus::MetricType type) {
    prometheus::MetricFamily f;
    f.name = name;
    f.help = help;
    f.type = type;
    if (type == prometheus::MetricType::Histogram) {
      for (const auto& [flow, h] : durations) {
        prometheus::ClientMetric m = metric_of({{"flow", flow}});
        for (std::size_t i = 0; i < h.buckets.size(); ++i) m.histogram.bucket.push_back({h.buckets[i], kDurationBounds[i]});
        m.histogram.bucket.push_back({h.count, std::numeric_limits<double>::infinity()});
        m.histogram.sample_count = h.count;
        m.histogram.sample_sum = h.sum;
        f.metric.push_back(std::move(m));
      }
    } else if (auto it = values.find(name); it != values.end()) {
      for (const auto& [labels, value] : it->second) {
        prometheus::ClientMetric m = metric_of(labels);
        (type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value) = value;
        f.metric.push_back(std::move(m));
      }
    }
    families.push_back(std::move(f));
  };
  for (const FamilyInfo& f : kFamilies) family(f.name, f.help, f.type);
  for (const auto& [name, series] : values)
    if (name.rfind("ingestd_plugin_", 0) == 0) family(name, "A plugin's own counter.", prometheus::MetricType::Counter);
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace ingestd
