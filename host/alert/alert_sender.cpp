#include "alert/alert_sender.hpp"

#include "log/logging.hpp"

#include <ingestd/kit/http/client.hpp>
#include <ingestd/kit/http/hmac.hpp>
#include <ingestd/sdk/backoff.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

extern char** environ;

namespace ingestd {

namespace {

constexpr int kWebhookAttempts = 3;
constexpr auto kCommandTimeout = std::chrono::seconds(30);

// POSTs the document; a 2xx answer is a delivery.
bool post(const AlertSinkDef& sink, const std::string& body, const std::function<bool()>& stopping) {
  kit::http::Client client(kit::http::Timeouts{5000, 15000});
  kit::http::Request r;
  r.method = "POST";
  r.url = sink.url;
  r.body = body;
  r.set_header("Content-Type", "application/json");
  if (!sink.secret.empty()) r.set_header("X-Signature", "sha256=" + kit::http::hmac_sha256_hex(sink.secret, body));
  sdk::Backoff backoff(1000, 8000, sdk::Backoff::Jitter::Below);
  for (int attempt = 0; attempt < kWebhookAttempts; ++attempt) {
    if (attempt > 0 && !backoff.wait(attempt - 1, stopping)) return false;
    std::string why;
    try {
      const kit::http::Response answer = client.send(r);
      if (answer.status >= 200 && answer.status < 300) return true;
      why = "HTTP " + std::to_string(answer.status);
      if (answer.status >= 400 && answer.status < 500 && answer.status != 429) attempt = kWebhookAttempts;  // no retry
    } catch (const std::exception& e) {
      why = e.what();
    }
    log::warn("alert " + sink.name + ": " + why + (attempt + 1 < kWebhookAttempts ? "; trying again" : ""));
  }
  return false;
}

// Runs the command with the document on its standard input; exit 0 is a delivery.
bool run_command(const AlertSinkDef& sink, const std::string& body) {
  int in[2];
  if (pipe2(in, O_CLOEXEC) != 0) return false;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  std::vector<char*> argv;
  for (const auto& a : sink.command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  if (rc != 0) {
    close(in[1]);
    log::warn("alert " + sink.name + ": cannot run " + sink.command[0] + ": " + std::strerror(rc));
    return false;
  }
  signal(SIGPIPE, SIG_IGN);  // a command that does not read its input must not end ingestd
  for (std::size_t done = 0; done < body.size();) {
    const ssize_t n = write(in[1], body.data() + done, body.size() - done);
    if (n <= 0 && errno != EINTR) break;
    if (n > 0) done += static_cast<std::size_t>(n);
  }
  close(in[1]);
  const auto deadline = std::chrono::steady_clock::now() + kCommandTimeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      log::warn("alert " + sink.name + ": " + sink.command[0] + " did not end within 30 s; killed");
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  log::warn("alert " + sink.name + ": " + sink.command[0] + " ended with " +
            (WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status))
                               : "signal " + std::to_string(WTERMSIG(status))));
  return false;
}

}  // namespace

AlertSender::AlertSender(Outcome outcome) : outcome_(std::move(outcome)) {
  thread_ = std::thread([this] { work(); });
}

AlertSender::~AlertSender() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  thread_.join();
}

void AlertSender::configure(const std::vector<AlertSinkDef>& sinks) {
  std::lock_guard lock(mutex_);
  sinks_.clear();
  for (const auto& s : sinks) sinks_[s.name] = s;
}

void AlertSender::send(const std::vector<std::string>& sinks, const Alert& alert) {
  std::vector<std::string> dropped;
  {
    std::lock_guard lock(mutex_);
    for (const auto& name : sinks) {
      auto it = sinks_.find(name);
      if (it == sinks_.end()) continue;
      if (queue_.size() >= kQueueLimit) {
        dropped.push_back(name);
        continue;
      }
      queue_.push_back({it->second, alert});
    }
  }
  ready_.notify_one();
  for (const auto& name : dropped) {
    log::warn("alert " + name + ": " + std::to_string(kQueueLimit) + " alerts already wait; " + alert.event +
              " of flow " + alert.flow + " is dropped");
    outcome_(name, alert.event, "dropped");
  }
}

bool AlertSender::deliver(const Delivery& d) {
  const std::string body = alert_json(d.alert);
  if (d.sink.kind == "command") return run_command(d.sink, body);
  return post(d.sink, body, [this] {
    std::lock_guard lock(mutex_);
    return stopping_;
  });
}

void AlertSender::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    Delivery d = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    const bool sent = deliver(d);
    if (sent) log::info("alert " + d.sink.name + ": " + d.alert.event + " of flow " + d.alert.flow + " sent");
    outcome_(d.sink.name, d.alert.event, sent ? "sent" : "failed");
    lock.lock();
  }
}

}  // namespace ingestd
