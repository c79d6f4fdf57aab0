#include "event_intake.hpp"

#include "event_body.hpp"

#include <ingestd/http/hmac.hpp>

#include <httplib.h>
#include <simdjson.h>

#include <atomic>
#include <stdexcept>

namespace webhook {

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

  std::vector<std::string> take_pending() {
    std::vector<std::string> out;
    out.swap(pending);
    return out;
  }

  bool due() const {
    if (pending.empty()) return false;
    // Once no request is on its way in, waiting longer only adds latency: the
    // batch leaves (group commit), and requests arriving meanwhile form the next.
    return static_cast<int64_t>(pending.size()) >= o.flush_events || waiting >= o.threads - 1 || arriving == 0 ||
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

}  // namespace

EventIntake::EventIntake(IntakeOptions options)
    : shared_(std::make_shared<Shared>()), server_(std::make_unique<httplib::Server>()) {
  shared_->o = std::move(options);
  const IntakeOptions& o = shared_->o;
  const int threads = o.threads;
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  server_->set_payload_max_length(static_cast<size_t>(o.max_body));
  std::shared_ptr<Shared> s = shared_;
  server_->Post(o.path, [s](const httplib::Request& req, httplib::Response& res) {
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
    if (!o.secret.empty()) {
      std::string expected = o.signature_prefix + ingestd::http::hmac_sha256_hex(o.secret, req.body);
      if (!ingestd::http::constant_time_equals(req.get_header_value(o.signature_header.c_str()), expected))
        return answer(res, 401, "error", "bad or missing signature in " + o.signature_header);
    }
    std::vector<std::string> events;
    std::string why = split_events(req.body, events);
    if (!why.empty()) return answer(res, 400, "error", why);
    std::unique_lock lock(s->mutex);
    if (!s->accepting) return answer(res, 503, "error", "shutting down; send again later");
    if (s->pending.empty()) s->first_pending = std::chrono::steady_clock::now();
    for (auto& e : events) s->pending.push_back(std::move(e));
    arrived.now();
    const uint64_t mine = s->taken + 1;  // the batch that will hold these events
    ++s->waiting;
    s->batch_due.notify_one();
    bool ok = s->acked.wait_for(lock, o.ack_timeout, [&] { return s->committed >= mine || s->stopped; }) &&
              s->committed >= mine;
    --s->waiting;
    if (!ok) return answer(res, 503, "error", "the events were not committed; send them again");
    s->accepted += static_cast<int64_t>(events.size());
    res.status = 200;
    res.set_content("{\"accepted\": " + std::to_string(events.size()) + "}", "application/json");
  });
  // Bodies over max_body, and anything else cpp-httplib refuses, get a reason.
  server_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 413) answer(res, 413, "error", "body larger than max_body");
  });
  if (!server_->bind_to_port(o.host.c_str(), o.port))
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
  }
  shared_->acked.notify_all();
}

int64_t EventIntake::accepted() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->accepted;
}

}  // namespace webhook
