// webhook: a source that listens for POSTed JSON events and answers each
// request only after every destination committed its events. See README.md.
#include "event_check.hpp"
#include "event_intake.hpp"

#include <ingestd/sdk/bound_options.hpp>
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

// The options, each declared once in options() below; defaults are the
// initial values.
struct Settings {
  int64_t port = 0;
  std::string host = "127.0.0.1";
  std::string path = "/events";
  std::string stream = "events";
  json::Value columns;
  Secret secret;
  std::string signature_header = "X-Signature";
  std::string signature_prefix = "sha256=";
  std::chrono::milliseconds signature_tolerance{0};
  std::string timestamp_header = "X-Timestamp";
  Bytes max_body{1 << 20};
  std::string dedup_key;
  int64_t dedup_window = 100'000;
  int64_t max_columns = 500;
  std::chrono::milliseconds flush_interval{200};
  int64_t flush_events = 5000;
  int64_t max_connections = 512;
  int64_t max_connections_per_client = 64;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{60'000};
  std::chrono::milliseconds idle_timeout{5'000};
  std::chrono::milliseconds ack_timeout{30'000};
};

const BoundOptions<Settings>& options() {
  static const BoundOptions<Settings> o = [] {
    using S = Settings;
    BoundOptions<S> b;
    b.add("port", &S::port, "The port to listen on").required();
    b.add("host", &S::host, "The address to listen on");
    b.add("path", &S::path, "The path events are POSTed to");
    b.add("stream", &S::stream, "The stream's name");
    b.add("columns", &S::columns,
          "The events' columns, [\"event_id:string\", \"amount:float64\"]; keys not declared become new columns")
        .required();
    b.add("secret", &S::secret, "Shared secret: requests must carry hex HMAC-SHA256 of the body in signature_header");
    b.add("signature_header", &S::signature_header, "The header carrying the signature");
    b.add("signature_prefix", &S::signature_prefix, "Text before the hex digest");
    b.add("signature_tolerance", &S::signature_tolerance,
          "Replay protection: requests carry timestamp_header (Unix seconds), the signature covers "
          "\"TIMESTAMP.BODY\", and one further than this from now gets 401 (0: off)");
    b.add("timestamp_header", &S::timestamp_header, "The header carrying the signed timestamp");
    b.add("max_body", &S::max_body, "Larger bodies get 413, however they are framed");
    b.add("dedup_key", &S::dedup_key,
          "An event id: events whose id came among the last dedup_window are answered 200 and not loaded "
          "again (for appends; a merge on the id absorbs repeats anyway)");
    b.add("dedup_window", &S::dedup_window, "How many event ids dedup_key remembers");
    b.add("max_columns", &S::max_columns,
          "Events that would make the stream wider than this get 400 (destinations have limits too)");
    b.add("flush_interval", &S::flush_interval, "The longest an event waits for its batch");
    b.add("flush_events", &S::flush_events, "A batch leaves once this many events wait");
    b.add("max_connections", &S::max_connections, "Connections served at once; more get 503");
    b.add("max_connections_per_client", &S::max_connections_per_client, "Connections from one address; more get 503");
    b.add("header_timeout", &S::header_timeout,
          "A request's line and headers must arrive within this of their first byte, else 408");
    b.add("body_timeout", &S::body_timeout, "A request's body must arrive within this, else 408");
    b.add("idle_timeout", &S::idle_timeout, "A connection without a request for this long is closed");
    b.add("ack_timeout", &S::ack_timeout, "A request not committed by then gets 503");
    return b;
  }();
  return o;
}

std::chrono::milliseconds positive(std::chrono::milliseconds d, const char* key) {
  if (d.count() <= 0)
    throw config_error(std::string(key) + " must be more than 0: without it one slow client holds a connection forever");
  return d;
}

class WebhookSource : public Instance {
 public:
  explicit WebhookSource(const CreateContext& ctx) {
    const Settings s = options().bind(ctx);
    stream_ = s.stream;
    intake_.host = s.host;
    if (s.port <= 0 || s.port > 65535) throw config_error("port must be between 1 and 65535");
    intake_.port = static_cast<int>(s.port);
    intake_.path = s.path;
    intake_.secret = s.secret.value;
    // An empty secret (a ${VAR} that expanded to nothing) would turn the check off unnoticed.
    if (ctx.options.has("secret") && intake_.secret.empty())
      throw config_error("secret is empty: set it, or remove it to accept unsigned requests");
    intake_.signature_tolerance = s.signature_tolerance;
    intake_.timestamp_header = s.timestamp_header;
    if (intake_.signature_tolerance.count() > 0 && intake_.secret.empty())
      throw config_error("signature_tolerance needs a secret: the timestamp is trusted only when signed");
    intake_.signature_header = s.signature_header;
    intake_.signature_prefix = s.signature_prefix;
    intake_.max_body = s.max_body.value;
    intake_.dedup_key = s.dedup_key;
    intake_.dedup_window = static_cast<std::size_t>(std::max<int64_t>(1, s.dedup_window));
    ConnectionLimits& limits = intake_.limits;
    limits.max_connections = static_cast<int>(std::clamp<int64_t>(s.max_connections, 2, 10'000));
    limits.max_connections_per_client =
        static_cast<int>(std::clamp<int64_t>(s.max_connections_per_client, 1, limits.max_connections));
    limits.header_timeout = positive(s.header_timeout, "header_timeout");
    limits.body_timeout = positive(s.body_timeout, "body_timeout");
    limits.idle_timeout = positive(s.idle_timeout, "idle_timeout");
    intake_.flush_interval = s.flush_interval;
    intake_.flush_events = std::max<int64_t>(1, s.flush_events);
    intake_.ack_timeout = s.ack_timeout;
    columns_ = kit::typing::parse_declared_columns(s.columns);
    if (columns_.empty())
      throw config_error("columns must declare the events' columns, [\"event_id:string\", ...]; new keys are added");
    if (s.max_columns < static_cast<int64_t>(columns_.size()))
      throw config_error("max_columns (" + std::to_string(s.max_columns) + ") is less than the declared columns");
    check_ = std::make_shared<EventCheck>(columns_, s.max_columns);
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
  p.options = options().specs();
  return p;
}

std::unique_ptr<Instance> create(const CreateContext& ctx) { return std::make_unique<WebhookSource>(ctx); }

}  // namespace
}  // namespace ingestd::plugins::webhook

INGESTD_PLUGIN(ingestd::plugins::webhook::describe, ingestd::plugins::webhook::create)
