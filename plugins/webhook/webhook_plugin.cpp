// webhook: a source that listens for POSTed JSON events and answers each
// request only after every destination committed its events. See README.md.
#include "event_check.hpp"
#include "event_intake.hpp"

#include <ingestd/sdk/plugin.hpp>
#include <ingestd/kit/typing/json_rows.hpp>

#include <algorithm>
#include <charconv>

namespace ingestd::plugins::webhook {
namespace {

using namespace ingestd::sdk;
namespace dom = simdjson::dom;
using kit::typing::ColumnSet;
using kit::typing::JsonRowAppender;

class WebhookStream : public SourceStream {
 public:
  WebhookStream(const IntakeOptions& o, const std::vector<kit::typing::DeclaredColumn>& columns,
                const StreamRequest& r, const Instance& owner)
      : host_(r.host), owner_(owner), columns_(columns) {
    columns_.add_declared();
    columns_.report_widenings_to(host_, r.stream);
    schema_ = columns_.schema();
    intake_ = std::make_unique<EventIntake>(o);
    host_.info("listening on http://" + o.host + ":" + std::to_string(o.port) + o.path);
  }

  Schema schema() override { return schema_; }

  bool next(Batch& out) override {
    uint64_t batch = 0;
    std::vector<std::string> events;
    while (events.empty()) {
      if (owner_.cancelled() || host_.cancelled()) {
        // Stopping: what already arrived goes out as a last batch, so that its
        // senders get their answer once it is committed.
        events = intake_->drain(batch);
        if (events.empty()) {
          report_intake_counters();
          throw cancelled_error();
        }
        break;
      }
      events = intake_->take(batch, std::chrono::milliseconds(100));
    }
    report_intake_counters();
    build(events, out);
    out.checkpoint = "{\"batch\":" + std::to_string(batch) + "}";
    return true;
  }

  void checkpoint_saved(std::string_view checkpoint) override {
    auto colon = checkpoint.find(':');
    uint64_t batch = 0;
    if (colon == std::string_view::npos) return;
    std::from_chars(checkpoint.data() + colon + 1, checkpoint.data() + checkpoint.size(), batch);
    intake_->committed(batch);
  }

 private:
  // The intake's totals, as counters of the run.
  void report_intake_counters() {
    report("connections_refused", intake_->connections_refused(), refused_);
    report("requests_timed_out", intake_->requests_timed_out(), timed_out_);
    report("events_duplicate", intake_->duplicates(), duplicates_);
  }

  void report(const char* counter, int64_t total, int64_t& reported) {
    if (total > reported) host_.count(counter, total - reported);
    reported = total;
  }

  void build(const std::vector<std::string>& events, Batch& out) {
    // Every event first widens the columns, so that the batch is built once
    // under its final schema.
    std::vector<dom::document> docs(events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
      dom::element e;
      if (!parser_.parse_into_document(docs[i], events[i]).get(e)) kit::typing::sample_object(dom::object(e), columns_);
    }
    Schema now = columns_.schema();
    if (now != schema_) {
      schema_ = std::move(now);
      out.new_schema = schema_;
    }
    BatchBuilder rows(schema_);
    for (auto& doc : docs) {
      dom::element e = doc.root();
      if (appender_.append(dom::object(e), columns_, rows) != JsonRowAppender::Result::Appended) {
        // Only a value that cannot be the declared type gets here.
        host_.warn("event dropped: " + appender_.reason());
        host_.count("events_rejected", 1);
      }
    }
    out.array = rows.finish();
  }

  Host host_;
  const Instance& owner_;
  ColumnSet columns_;
  Schema schema_;
  std::unique_ptr<EventIntake> intake_;
  dom::parser parser_;
  JsonRowAppender appender_;
  int64_t refused_ = 0;
  int64_t timed_out_ = 0;
  int64_t duplicates_ = 0;
};

std::chrono::milliseconds positive_duration(const Options& o, const char* key, int64_t default_ms) {
  const int64_t ms = o.duration_ms(key, default_ms);
  if (ms <= 0) throw config_error(std::string(key) + " must be more than 0: without it one slow client holds a connection forever");
  return std::chrono::milliseconds(ms);
}

class WebhookSource : public Instance {
 public:
  explicit WebhookSource(const CreateContext& ctx) : stream_(ctx.options.string("stream", "events")) {
    const Options& o = ctx.options;
    intake_.host = o.string("host", "127.0.0.1");
    intake_.port = static_cast<int>(o.integer("port", 0));
    if (intake_.port <= 0 || intake_.port > 65535) throw config_error("port must be between 1 and 65535");
    intake_.path = o.string("path", "/events");
    intake_.secret = o.string("secret");
    // An empty secret (a ${VAR} that expanded to nothing) would turn the check off unnoticed.
    if (o.has("secret") && intake_.secret.empty())
      throw config_error("secret is empty: set it, or remove it to accept unsigned requests");
    intake_.signature_tolerance = std::chrono::milliseconds(o.duration_ms("signature_tolerance", 0));
    intake_.timestamp_header = o.string("timestamp_header", "X-Timestamp");
    if (intake_.signature_tolerance.count() > 0 && intake_.secret.empty())
      throw config_error("signature_tolerance needs a secret: the timestamp is trusted only when signed");
    intake_.signature_header = o.string("signature_header", "X-Signature");
    intake_.signature_prefix = o.string("signature_prefix", "sha256=");
    intake_.max_body = o.size_bytes("max_body", 1 << 20);
    intake_.dedup_key = o.string("dedup_key");
    intake_.dedup_window = static_cast<std::size_t>(std::max<int64_t>(1, o.integer("dedup_window", 100'000)));
    ConnectionLimits& limits = intake_.limits;
    limits.max_connections = static_cast<int>(std::clamp<int64_t>(o.integer("max_connections", 512), 2, 10'000));
    limits.max_connections_per_client =
        static_cast<int>(std::clamp<int64_t>(o.integer("max_connections_per_client", 64), 1, limits.max_connections));
    limits.header_timeout = positive_duration(o, "header_timeout", 10'000);
    limits.body_timeout = positive_duration(o, "body_timeout", 60'000);
    limits.idle_timeout = positive_duration(o, "idle_timeout", 5'000);
    intake_.flush_interval = std::chrono::milliseconds(o.duration_ms("flush_interval", 200));
    intake_.flush_events = std::max<int64_t>(1, o.integer("flush_events", 5000));
    intake_.ack_timeout = std::chrono::milliseconds(o.duration_ms("ack_timeout", 30'000));
    columns_ = kit::typing::parse_declared_columns(o.get("columns"));
    if (columns_.empty())
      throw config_error("columns must declare the events' columns, [\"event_id:string\", ...]; new keys are added");
    const int64_t max_columns = o.integer("max_columns", 500);
    if (max_columns < static_cast<int64_t>(columns_.size()))
      throw config_error("max_columns (" + std::to_string(max_columns) + ") is less than the declared columns");
    check_ = std::make_shared<EventCheck>(columns_, max_columns);
    intake_.admit = [check = check_](const std::vector<std::string>& events) { return check->admit(events); };
  }

  std::vector<StreamInfo> discover() override {
    ColumnSet c(columns_);
    c.add_declared();
    StreamInfo s;
    s.name = stream_;
    s.schema = c.schema();
    s.extract_modes = INGESTD_EXTRACT_INCREMENTAL_APPENDS;
    s.continuous = true;
    return {s};
  }

  std::unique_ptr<SourceStream> open_stream(const StreamRequest& r) override {
    if (r.stream != stream_) throw config_error("no stream named '" + r.stream + "' (this source has '" + stream_ + "')");
    return std::make_unique<WebhookStream>(intake_, columns_, r, *this);
  }

 private:
  std::string stream_;
  IntakeOptions intake_;
  std::vector<kit::typing::DeclaredColumn> columns_;
  std::shared_ptr<EventCheck> check_;
};

PluginInfo describe() {
  PluginInfo p{.name = "webhook", .version = "0.1.0", .kinds = INGESTD_KIND_SOURCE,
               .description = "Receives POSTed JSON events; answers 200 only once they are committed",
               .extract_modes = INGESTD_EXTRACT_INCREMENTAL_APPENDS};
  p.source_acks = true;
  p.max_concurrent_streams = 1;
  p.options = {
      option("port", INGESTD_OPTION_INT, "The port to listen on").required(),
      option("host", INGESTD_OPTION_STRING, "The address to listen on").default_to("127.0.0.1"),
      option("path", INGESTD_OPTION_STRING, "The path events are POSTed to").default_to("/events"),
      option("stream", INGESTD_OPTION_STRING, "The stream's name").default_to("events"),
      option("columns", INGESTD_OPTION_JSON,
             "The events' columns, [\"event_id:string\", \"amount:float64\"]; keys not declared become new columns")
          .required(),
      option("secret", INGESTD_OPTION_SECRET,
             "Shared secret: requests must carry hex HMAC-SHA256 of the body in signature_header"),
      option("signature_header", INGESTD_OPTION_STRING, "The header carrying the signature").default_to("X-Signature"),
      option("signature_prefix", INGESTD_OPTION_STRING, "Text before the hex digest").default_to("sha256="),
      option("signature_tolerance", INGESTD_OPTION_DURATION,
             "Replay protection: requests carry timestamp_header (Unix seconds), the signature covers "
             "\"TIMESTAMP.BODY\", and one further than this from now gets 401 (0: off)")
          .default_to("0"),
      option("timestamp_header", INGESTD_OPTION_STRING, "The header carrying the signed timestamp")
          .default_to("X-Timestamp"),
      option("max_body", INGESTD_OPTION_SIZE, "Larger bodies get 413, however they are framed").default_to("1MiB"),
      option("dedup_key", INGESTD_OPTION_STRING,
             "An event id: events whose id came among the last dedup_window are answered 200 and not loaded "
             "again (for appends; a merge on the id absorbs repeats anyway)"),
      option("dedup_window", INGESTD_OPTION_INT, "How many event ids dedup_key remembers").default_to("100000"),
      option("max_columns", INGESTD_OPTION_INT,
             "Events that would make the stream wider than this get 400 (destinations have limits too)")
          .default_to("500"),
      option("flush_interval", INGESTD_OPTION_DURATION, "The longest an event waits for its batch").default_to("200ms"),
      option("flush_events", INGESTD_OPTION_INT, "A batch leaves once this many events wait").default_to("5000"),
      option("max_connections", INGESTD_OPTION_INT, "Connections served at once; more get 503").default_to("512"),
      option("max_connections_per_client", INGESTD_OPTION_INT, "Connections from one address; more get 503")
          .default_to("64"),
      option("header_timeout", INGESTD_OPTION_DURATION,
             "A request's line and headers must arrive within this of their first byte, else 408")
          .default_to("10s"),
      option("body_timeout", INGESTD_OPTION_DURATION, "A request's body must arrive within this, else 408")
          .default_to("60s"),
      option("idle_timeout", INGESTD_OPTION_DURATION, "A connection without a request for this long is closed")
          .default_to("5s"),
      option("ack_timeout", INGESTD_OPTION_DURATION, "A request not committed by then gets 503").default_to("30s"),
  };
  return p;
}

std::unique_ptr<Instance> create(const CreateContext& ctx) { return std::make_unique<WebhookSource>(ctx); }

}  // namespace
}  // namespace ingestd::plugins::webhook

INGESTD_PLUGIN(ingestd::plugins::webhook::describe, ingestd::plugins::webhook::create)
