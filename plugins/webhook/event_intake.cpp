#include "event_intake.hpp"

#include "event_body.hpp"
#include "event_ids.hpp"
#include "guarded_server.hpp"

#include <ingestd/kit/http/hmac.hpp>

#include <simdjson.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <stdexcept>

namespace ingestd::plugins::webhook {

namespace dom = simdjson::dom;

struct EventIntake::Shared {
  IntakeOptions o;
  std::mutex mutex;
  std::condition_variable batch_due;  // the stream waits on it
  std::condition_variable acked;      // request threads wait on it
  std::vector<std::string> pending;   // events for the next batch
  std::chrono::steady_clock::time_point first_pending;
  uint64_t taken = 0;     // batches handed to the stream
  uint64_t committed = 0; // batches committed everywhere
  int waiting = 0;        // request threads waiting for a commit
  std::atomic<int> arriving{0};  // requests being checked, their events not queued yet
  bool accepting = true;  // false once drained: new requests get 503
  bool stopped = false;   // the server is going away: waiting requests get 503
  int64_t accepted = 0;
  int64_t duplicates = 0;
  std::unique_ptr<EventIds> ids;  // with dedup_key

  std::vector<std::string> take_pending() {
    std::vector<std::string> out;
    out.swap(pending);
    return out;
  }

  bool due() const {
    if (pending.empty()) return false;
    // Once no request is on its way in, waiting longer only adds latency: the
    // batch leaves (group commit), and requests arriving meanwhile form the next.
    return static_cast<int64_t>(pending.size()) >= o.flush_events || waiting >= o.limits.max_connections - 1 || arriving == 0 ||
           std::chrono::steady_clock::now() - first_pending >= o.flush_interval;
  }
};

namespace {

void answer(httplib::Response& res, int status, const std::string& key, const std::string& value) {
  std::string v = value;
  for (char& c : v)
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = ' ';
  res.status = status;
  res.set_content("{\"" + key + "\": \"" + v + "\"}", "application/json");
}

// A request refused before its body was read: the unread body must not be
// taken for the next request, so the connection ends with the answer.
void refuse_unread(httplib::Response& res, int status, const std::string& why) {
  answer(res, status, "error", why);
  res.set_header("Connection", "close");
  GuardedServer::close_after_answer();
}

bool has_token(const std::string& header, const char* token) {
  std::string h = header;
  for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return h.find(token) != std::string::npos;
}

// What the headers alone decide: 0 to read the body, else the status to
// answer (and why). A body framed two ways is how requests are smuggled past
// a proxy; one framed not at all would be read to the end of the connection;
// an unsigned request is refused before its body is read.
int check_headers(const IntakeOptions& o, const httplib::Request& req, std::string& why) {
  const bool has_length = req.has_header("Content-Length");
  const bool has_encoding = req.has_header("Transfer-Encoding");
  if (has_length && has_encoding) {
    why = "both Content-Length and Transfer-Encoding: the body's length is ambiguous";
    return 400;
  }
  if (has_encoding && !has_token(req.get_header_value("Transfer-Encoding"), "chunked")) {
    why = "a Transfer-Encoding other than chunked";
    return 400;
  }
  if (!has_length && !has_encoding) {
    why = "a body needs Content-Length or Transfer-Encoding: chunked";
    return 411;
  }
  if (!o.secret.empty() && !req.has_header(o.signature_header.c_str())) {
    why = "no signature in " + o.signature_header;
    return 401;
  }
  if (!o.secret.empty() && o.signature_tolerance.count() > 0) {
    const std::string ts = req.get_header_value(o.timestamp_header.c_str());
    if (ts.empty() || ts.size() > 12 || ts.find_first_not_of("0123456789") != std::string::npos) {
      why = "no Unix timestamp in " + o.timestamp_header + " (signature_tolerance is set)";
      return 401;
    }
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    if (std::llabs(now - std::stoll(ts)) * 1000 > o.signature_tolerance.count()) {
      why = "the timestamp in " + o.timestamp_header +
            " is outside signature_tolerance (a replayed request, or a clock far off)";
      return 401;
    }
  }
  if (has_length) {
    const std::string length = req.get_header_value("Content-Length");
    if (length.empty() || length.size() > 18 || length.find_first_not_of("0123456789") != std::string::npos) {
      why = "a malformed Content-Length";
      return 400;
    }
    if (std::stoll(length) > o.max_body) {
      why = "body larger than max_body";
      return 413;
    }
  }
  return 0;
}

}  // namespace

EventIntake::EventIntake(IntakeOptions options)
    : shared_(std::make_shared<Shared>()), server_(std::make_unique<GuardedServer>(options.limits)) {
  shared_->o = std::move(options);
  const IntakeOptions& o = shared_->o;
  if (!o.dedup_key.empty()) shared_->ids = std::make_unique<EventIds>(o.dedup_key, o.dedup_window);
  server_->set_payload_max_length(static_cast<size_t>(o.max_body));
  std::shared_ptr<Shared> s = shared_;
  // The body is read here, not by the library: its limit holds for every
  // framing, and a request refused on its headers is never read at all.
  server_->Post(o.path, [s](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& read) {
    const IntakeOptions& o = s->o;
    ++s->arriving;
    struct Arrived {
      std::atomic<int>& n;
      bool done = false;
      void now() {
        if (!done) --n;
        done = true;
      }
      ~Arrived() { now(); }
    } arrived{s->arriving};
    std::string refusal;
    const int status = check_headers(o, req, refusal);
    if (status != 0) return refuse_unread(res, status, refusal);
    std::string body;
    bool too_large = false;
    GuardedServer::reading_body();
    const bool read_all = read([&](const char* data, size_t length) {
      if (body.size() + length > static_cast<std::size_t>(o.max_body)) {
        too_large = true;
        return false;
      }
      body.append(data, length);
      return true;
    });
    GuardedServer::body_read();
    if (too_large) return refuse_unread(res, 413, "body larger than max_body");
    if (!read_all) return answer(res, 400, "error", "the body could not be read to its end");
    if (!o.secret.empty()) {
      const std::string signed_text =
          o.signature_tolerance.count() > 0 ? req.get_header_value(o.timestamp_header.c_str()) + "." + body : body;
      std::string expected = o.signature_prefix + ingestd::kit::http::hmac_sha256_hex(o.secret, signed_text);
      if (!ingestd::kit::http::constant_time_equals(req.get_header_value(o.signature_header.c_str()), expected))
        return answer(res, 401, "error", "bad signature in " + o.signature_header);
    }
    std::vector<std::string> events, ids;
    std::string why = split_events(body, events);
    if (why.empty() && s->ids) why = s->ids->ids_of(events, ids);
    if (why.empty() && o.admit) why = o.admit(events);
    if (!why.empty()) return answer(res, 400, "error", why);
    std::unique_lock lock(s->mutex);
    if (!s->accepting) return answer(res, 503, "error", "shutting down; send again later");
    const uint64_t mine = s->taken + 1;  // the batch that will hold these events
    uint64_t wait_for = mine;
    std::vector<bool> fresh(events.size(), true);
    if (s->ids) wait_for = s->ids->take(ids, mine, fresh);
    std::size_t queued = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (!fresh[i]) continue;
      if (s->pending.empty()) s->first_pending = std::chrono::steady_clock::now();
      s->pending.push_back(std::move(events[i]));
      ++queued;
    }
    arrived.now();
    ++s->waiting;
    if (queued > 0) s->batch_due.notify_one();
    bool ok = s->acked.wait_for(lock, o.ack_timeout, [&] { return s->committed >= wait_for || s->stopped; }) &&
              s->committed >= wait_for;
    --s->waiting;
    if (!ok) {
      if (s->ids) s->ids->forget(ids, fresh, mine);
      return answer(res, 503, "error", "the events were not committed; send them again");
    }
    s->duplicates += static_cast<int64_t>(events.size() - queued);
    s->accepted += static_cast<int64_t>(events.size());
    res.status = 200;
    const std::size_t duplicates = events.size() - queued;
    res.set_content("{\"accepted\": " + std::to_string(events.size()) +
                        (duplicates ? ", \"duplicates\": " + std::to_string(duplicates) : std::string()) + "}",
                    "application/json");
  });
  // Bodies over max_body, and anything else cpp-httplib refuses, get a reason.
  server_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 413) answer(res, 413, "error", "body larger than max_body");
  });
  if (!server_->listen_on(o.host, o.port))
    throw std::runtime_error("cannot listen on " + o.host + ":" + std::to_string(o.port));
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

EventIntake::~EventIntake() {
  {
    std::lock_guard lock(shared_->mutex);
    shared_->accepting = false;
    shared_->stopped = true;
  }
  shared_->acked.notify_all();
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> EventIntake::take(uint64_t& batch, std::chrono::milliseconds poll) {
  std::unique_lock lock(shared_->mutex);
  // Wake up now and then: the interval of waiting events may pass meanwhile.
  auto until = std::chrono::steady_clock::now() + poll;
  while (!shared_->due() && std::chrono::steady_clock::now() < until)
    shared_->batch_due.wait_for(lock, std::chrono::milliseconds(20));
  if (!shared_->due()) return {};
  batch = ++shared_->taken;
  return shared_->take_pending();
}

std::vector<std::string> EventIntake::drain(uint64_t& batch) {
  std::lock_guard lock(shared_->mutex);
  shared_->accepting = false;
  if (shared_->pending.empty()) return {};
  // Requests already waiting keep waiting for this last batch.
  batch = ++shared_->taken;
  return shared_->take_pending();
}

void EventIntake::committed(uint64_t batch) {
  {
    std::lock_guard lock(shared_->mutex);
    shared_->committed = std::max(shared_->committed, batch);
    if (shared_->ids) shared_->ids->trim(shared_->committed);
  }
  shared_->acked.notify_all();
}

int64_t EventIntake::duplicates() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->duplicates;
}

int64_t EventIntake::connections_refused() const { return server_->connections_refused(); }

int64_t EventIntake::requests_timed_out() const { return server_->requests_timed_out(); }

int64_t EventIntake::accepted() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->accepted;
}

}  // namespace ingestd::plugins::webhook
